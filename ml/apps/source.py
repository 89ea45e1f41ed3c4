"""An app directory on disk: the files that go into its bundle."""

from __future__ import annotations

import os
from pathlib import Path

from ml.apps.bundle import AppBundle, BundleLimits, read_bundle, write_bundle
from ml.apps.manifest import MANIFEST_FILE
from ml.apps.names import validate_member_name
from ml.errors import AppError

SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def collect_app_files(directory: Path, limits: BundleLimits | None = None) -> dict[str, bytes]:
    """Every file of the app under ``directory`` by relative POSIX name, skipping hidden
    entries and Python caches; a symbolic link or an oversized file is an AppError."""
    limits = limits or BundleLimits()
    if not (directory / MANIFEST_FILE).is_file():
        raise AppError(f"{directory} is not an app: it has no {MANIFEST_FILE}")
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not _is_skipped(d, is_dir=True))
        for name in dirs:
            if (Path(root) / name).is_symlink():
                raise AppError(f"{Path(root) / name} is a symbolic link; an app holds only files")
        for name in sorted(names):
            if _is_skipped(name, is_dir=False):
                continue
            path = Path(root) / name
            relative = path.relative_to(directory).as_posix()
            _validate_source_file(path, relative, limits)
            files[relative] = path.read_bytes()
    return files


def _is_skipped(name: str, *, is_dir: bool) -> bool:
    if name.startswith("."):
        return True
    return name in SKIPPED_DIRS if is_dir else name.endswith(SKIPPED_SUFFIXES)


def _validate_source_file(path: Path, relative: str, limits: BundleLimits) -> None:
    if path.is_symlink() or not path.is_file():
        raise AppError(f"{path} is a symbolic link or not a regular file")
    validate_member_name(relative)
    size = path.stat().st_size
    if size > limits.max_member_bytes:
        raise AppError(f"{path} has {size} bytes, more than {limits.max_member_bytes}")


def build_app_bundle(directory: Path) -> tuple[bytes, AppBundle]:
    """The bundle bytes of the app in ``directory``, and the bundle read back (checked)."""
    data = write_bundle(collect_app_files(directory))
    return data, read_bundle(data)
