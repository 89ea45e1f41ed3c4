"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from node.errors import StorageError
from node.storage.blobs import BlobStore


def test_blobs_put_get_round_trip_and_idempotence(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.put(b"payload")
    assert digest == hashlib.sha256(b"payload").digest()
    assert store.put(b"payload") == digest
    assert store.get(digest) == b"payload"
    assert store.has(digest) and store.size(digest) == 7
    assert store.get(hashlib.sha256(b"other").digest()) is None


def test_blobs_corrupt_file_is_reported_and_removed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"x" * 100)
    path = tmp_path / digest.hex()[:2] / digest.hex()
    path.write_bytes(b"y" * 100)
    with pytest.raises(StorageError, match="corrupt"):
        store.get(digest)
    assert not store.has(digest)


def test_blobs_reject_malformed_hash(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="32 bytes"):
        BlobStore(tmp_path).get(b"short")


def test_blobs_leave_no_temporary_files(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    for i in range(5):
        store.put(bytes([i]) * 1000)
    leftovers = list(tmp_path.rglob(".tmp-*"))
    assert leftovers == []
