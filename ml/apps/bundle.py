"""App bundles: a deterministic zip writer and a reader that treats the bytes as hostile.

The writer stores (no compression, so no zlib version can change the bytes) every file in
sorted order with a fixed timestamp (1980-01-01) and mode 0644, so the same files give the same
bytes, and the same ``app_hash`` (their SHA-256), on every machine. The reader accepts only
regular files with safe, distinct names, within size limits, and refuses compression bombs.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from ml.apps.manifest import MANIFEST_FILE, AppManifest, parse_manifest
from ml.apps.names import validate_member_name
from ml.errors import BundleError

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
UNIX_SYSTEM = 3
CHUNK = 64 * 1024


@dataclass(frozen=True)
class BundleLimits:
    """What a reader accepts: bundle bytes, members, bytes per member and in all, and the
    largest expansion of a compressed member."""

    max_bundle_bytes: int = 16 << 20
    max_members: int = 512
    max_member_bytes: int = 8 << 20
    max_total_bytes: int = 32 << 20
    max_ratio: int = 100


@dataclass(frozen=True)
class AppBundle:
    """A checked bundle: its files by name, its manifest and its hash (the ``app_hash``)."""

    files: Mapping[str, bytes]
    manifest: AppManifest
    app_hash: bytes


def compute_app_hash(bundle: bytes) -> bytes:
    """The ``app_hash`` of a bundle: SHA-256 of its bytes."""
    return hashlib.sha256(bundle).digest()


def write_bundle(files: Mapping[str, bytes]) -> bytes:
    """The deterministic bundle of ``files`` (name -> content)."""
    for name in files:
        validate_member_name(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = UNIX_SYSTEM
            info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def read_bundle(data: bytes, limits: BundleLimits | None = None) -> AppBundle:
    """Check and unpack untrusted bundle bytes; raises BundleError (one clear reason)."""
    limits = limits or BundleLimits()
    if len(data) > limits.max_bundle_bytes:
        raise BundleError(f"bundle of {len(data)} bytes exceeds {limits.max_bundle_bytes}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise BundleError(f"bundle is not a zip archive: {exc}") from None
    with archive:
        files = _read_members(archive, limits)
    manifest_bytes = files.get(MANIFEST_FILE)
    if manifest_bytes is None:
        raise BundleError(f"bundle has no {MANIFEST_FILE} at its root")
    manifest = parse_manifest(_decode_text(MANIFEST_FILE, manifest_bytes))
    if manifest.entry not in files:
        raise BundleError(f"bundle has no entry file {manifest.entry!r}")
    return AppBundle(files, manifest, compute_app_hash(data))


def _read_members(archive: zipfile.ZipFile, limits: BundleLimits) -> dict[str, bytes]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise BundleError(f"bundle has {len(infos)} members, the limit is {limits.max_members}")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        _validate_info(info, limits)
        if info.filename in files:
            raise BundleError(f"bundle has member {info.filename!r} twice (duplicate entry)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BundleError(f"bundle members exceed {limits.max_total_bytes} bytes in all")
        files[info.filename] = _read_member(archive, info, limits)
    return files


def _validate_info(info: zipfile.ZipInfo, limits: BundleLimits) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.is_dir() or kind == stat.S_IFDIR:
        raise BundleError(f"member {info.filename!r} is a directory entry")
    validate_member_name(info.filename)
    if kind == stat.S_IFLNK:
        raise BundleError(f"member {info.filename!r} is a symbolic link")
    if kind not in (0, stat.S_IFREG):
        raise BundleError(f"member {info.filename!r} is not a regular file")
    if info.flag_bits & 0x1:
        raise BundleError(f"member {info.filename!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BundleError(f"member {info.filename!r} uses an unsupported compression method")
    if info.file_size > limits.max_member_bytes:
        raise BundleError(
            f"member {info.filename!r} of {info.file_size} bytes is oversized"
            f" (limit {limits.max_member_bytes})"
        )
    if info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise BundleError(
            f"member {info.filename!r} expands {info.compress_size} to {info.file_size} bytes"
            " (compression bomb)"
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: BundleLimits) -> bytes:
    """The member's bytes, never more than its declared size (a lying header is a bomb)."""
    cap = min(info.file_size, limits.max_member_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise BundleError(f"member {info.filename!r} expands past its declared size")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BundleError(f"member {info.filename!r} is corrupt: {exc}") from None
    except RuntimeError as exc:  # zipfile raises it for encrypted members
        raise BundleError(f"member {info.filename!r} cannot be read: {exc}") from None
    if size != info.file_size:
        raise BundleError(f"member {info.filename!r} is shorter than its declared size")
    return b"".join(chunks)


def _decode_text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{name} is not UTF-8 text") from None


def describe_files(bundle: AppBundle) -> list[tuple[str, int, str]]:
    """(name, size, sha256 hex) of every file, sorted by name (what ``app inspect`` shows)."""
    return [
        (name, len(data), hashlib.sha256(data).hexdigest())
        for name, data in sorted(bundle.files.items())
    ]
