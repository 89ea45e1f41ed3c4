"""An in-memory provider store: blobs by hash, a list of encoded blocks, a status.

Used by the dev node (``python -m node.network.devnode``), the benchmark and the tests as
the shell side of the stream protocols. A real node backs the providers with SQLite and
its blob directory instead.
"""

from node.network.values import Providers, Status, compute_blob_hash


class MemoryStore:
    """Blobs and finalized blocks held in memory; ``providers()`` serves them."""

    def __init__(self, chain_id: str, genesis_hash: bytes) -> None:
        self.chain_id = chain_id
        self.genesis_hash = genesis_hash
        self.blobs: dict[bytes, bytes] = {}
        self.blocks: list[bytes] = []
        """Encoded block with commit at height ``h`` is ``blocks[h - 1]`` (heights from 1)."""

    def add_blob(self, blob: bytes) -> bytes:
        """Store a blob; returns its hash."""
        blob_hash = compute_blob_hash(blob)
        self.blobs[blob_hash] = blob
        return blob_hash

    def get_height(self) -> int:
        return len(self.blocks)

    def get_blocks(self, start: int, end: int) -> list[bytes]:
        """Blocks ``start..end`` inclusive that we hold (a prefix of the range)."""
        first = max(start, 1)
        return self.blocks[first - 1 : end] if start >= 1 else []

    def get_status(self) -> Status:
        return Status(self.chain_id, self.genesis_hash, self.get_height())

    def providers(self) -> Providers:
        return Providers(blob=self.blobs.get, blocks=self.get_blocks, status=self.get_status)
