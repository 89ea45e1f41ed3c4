"""A content-addressed blob directory: payloads and model snapshots, named by SHA-256.

Writes are atomic (temporary file, fsync, rename) so a crash never leaves a partial blob under
its final name; reads re-check the hash so a corrupt file is reported, never served. A blob that
peers also hold (a gossiped delta payload) may skip the fsync (``durable=False``): after a power
loss it is at worst missing or corrupt, which a read detects, and it is fetched again by hash.

Such a blob is also written behind: ``put`` keeps it in memory, where ``get``, ``has`` and
``size`` find it at once, and one writer thread per store puts it on disk. Creating and renaming
a file took 2 to 3 ms on the node's event loop on the 4-validator testnet, four or five times a
version (four nodes' journal commits share one disk); the loop now only hands the bytes over. A
killed process loses what was not yet written, as a power loss loses an unsynced file, and the
blob is fetched again by hash. At most ``write_behind_max_bytes`` wait (default
``WRITE_BEHIND_MAX_BYTES``): past that, ``put`` writes itself. ``flush`` waits for the
writer; ``close`` flushes and ends it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import tempfile
import threading
from pathlib import Path

from node.errors import StorageError

HASH_SIZE = 32
WRITE_BEHIND_MAX_BYTES = 64 << 20
"""Bytes of non-durable blobs that may wait for the writer thread at once."""

logger = logging.getLogger(__name__)


class BlobStore:
    """Blobs under ``root/<first two hex chars>/<full hex hash>``."""

    def __init__(self, root: Path, *, write_behind_max_bytes: int = WRITE_BEHIND_MAX_BYTES) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.write_behind_max_bytes = write_behind_max_bytes
        self._lock = threading.Lock()
        self._pending: dict[bytes, bytes] = {}
        self._pending_bytes = 0
        self._queue: queue.SimpleQueue[bytes | threading.Event | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def _path(self, digest: bytes) -> Path:
        if len(digest) != HASH_SIZE:
            raise StorageError(f"a blob hash is {HASH_SIZE} bytes, got {len(digest)}")
        hexed = digest.hex()
        return self.root / hexed[:2] / hexed

    def put(self, data: bytes, *, durable: bool = True) -> bytes:
        """Store ``data`` (idempotent) and return its SHA-256; fsynced unless not ``durable``,
        and then written behind (see the module docstring)."""
        digest = hashlib.sha256(data).digest()
        if durable:  # even if the same bytes wait for the writer: the caller needs them on disk
            self._write(digest, data, durable=True)
            return digest
        if self.has(digest):
            return digest
        if not self._defer(digest, data):
            self._write(digest, data, durable=durable)
        return digest

    def _write(self, digest: bytes, data: bytes, *, durable: bool) -> None:
        path = self._path(digest)
        if path.exists():
            return
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

    def _defer(self, digest: bytes, data: bytes) -> bool:
        """Hand a non-durable blob to the writer thread; False when too much already waits."""
        with self._lock:
            if self._pending_bytes + len(data) > self.write_behind_max_bytes:
                return False
            self._pending[digest] = data
            self._pending_bytes += len(data)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_behind, name=f"blobs-{self.root.name}", daemon=True
                )
                self._writer.start()
        self._queue.put(digest)
        return True

    def _write_behind(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
                continue
            with self._lock:
                data = self._pending[item]
            try:
                self._write(item, data, durable=False)
            except (OSError, StorageError) as exc:  # peers hold it: fetched again by hash
                logger.warning("blob %s not written: %s", item.hex()[:16], exc)
            with self._lock:
                del self._pending[item]
                self._pending_bytes -= len(data)

    def flush(self) -> None:
        """Wait until every blob handed to the writer thread is on disk (or failed)."""
        with self._lock:
            running = self._writer is not None
        if running:
            written = threading.Event()
            self._queue.put(written)
            written.wait()

    def close(self) -> None:
        """Flush and end the writer thread (a later non-durable ``put`` starts another)."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join()

    def _waiting(self, digest: bytes) -> bytes | None:
        """The blob if it waits for the writer thread."""
        with self._lock:
            return self._pending.get(digest)

    def has(self, digest: bytes) -> bool:
        path = self._path(digest)
        return self._waiting(digest) is not None or path.exists()

    def get(self, digest: bytes) -> bytes | None:
        """The blob with this hash, or None if absent; a corrupt file is removed and reported."""
        path = self._path(digest)
        waiting = self._waiting(digest)
        if waiting is not None:
            return waiting
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if hashlib.sha256(data).digest() != digest:
            path.unlink(missing_ok=True)
            raise StorageError(f"blob {digest.hex()[:16]} was corrupt on disk and was removed")
        return data

    def size(self, digest: bytes) -> int | None:
        waiting = self._waiting(digest)
        if waiting is not None:
            return len(waiting)
        try:
            return self._path(digest).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
