"""A content-addressed blob directory: payloads and model snapshots, named by SHA-256.

Writes are atomic (temporary file, fsync, rename) so a crash never leaves a partial blob under
its final name; reads re-check the hash so a corrupt file is reported, never served. A blob that
peers also hold (a gossiped delta payload) may skip the fsync (``durable=False``): after a power
loss it is at worst missing or corrupt, which a read detects, and it is fetched again by hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from node.errors import StorageError

HASH_SIZE = 32


class BlobStore:
    """Blobs under ``root/<first two hex chars>/<full hex hash>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: bytes) -> Path:
        if len(digest) != HASH_SIZE:
            raise StorageError(f"a blob hash is {HASH_SIZE} bytes, got {len(digest)}")
        hexed = digest.hex()
        return self.root / hexed[:2] / hexed

    def put(self, data: bytes, *, durable: bool = True) -> bytes:
        """Store ``data`` (idempotent) and return its SHA-256; fsynced unless not ``durable``."""
        digest = hashlib.sha256(data).digest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def has(self, digest: bytes) -> bool:
        return self._path(digest).exists()

    def get(self, digest: bytes) -> bytes | None:
        """The blob with this hash, or None if absent; a corrupt file is removed and reported."""
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).digest() != digest:
            path.unlink(missing_ok=True)
            raise StorageError(f"blob {digest.hex()[:16]} was corrupt on disk and was removed")
        return data

    def size(self, digest: bytes) -> int | None:
        try:
            return self._path(digest).stat().st_size
        except FileNotFoundError:
            return None
