"""Member names inside an app bundle: relative POSIX paths that stay inside the app."""

from __future__ import annotations

from ml.errors import BundleError

MAX_NAME = 255


def validate_member_name(name: str) -> None:
    """Raise BundleError unless ``name`` is a safe relative path (no traversal, no absolute
    path, no backslash or drive letter, printable ASCII, no empty or dot components)."""
    if not 0 < len(name) <= MAX_NAME or not (name.isascii() and name.isprintable()):
        raise BundleError(f"member name {name!r} must be 1-{MAX_NAME} printable ASCII characters")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise BundleError(f"member {name!r} is an absolute path")
    if "\\" in name:
        raise BundleError(f"member {name!r} contains a backslash")
    parts = name.split("/")
    if ".." in parts:
        raise BundleError(f"member {name!r} escapes the app directory (path traversal)")
    if any(part in ("", ".") for part in parts):
        raise BundleError(f"member {name!r} has an empty or '.' path component")
