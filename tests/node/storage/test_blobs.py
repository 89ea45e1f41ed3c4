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


def blob_file(root: Path, digest: bytes) -> Path:
    return root / digest.hex()[:2] / digest.hex()


def test_blobs_non_durable_put_is_readable_at_once_and_written_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    payloads = [bytes([i]) * (1000 + i) for i in range(50)]
    digests = [store.put(p, durable=False) for p in payloads]
    for digest, payload in zip(digests, payloads, strict=True):
        assert store.get(digest) == payload
        assert store.has(digest) and store.size(digest) == len(payload)
    store.flush()
    on_disk = [blob_file(tmp_path, d).read_bytes() for d in digests]
    assert on_disk == payloads
    store.close()
    reopened = BlobStore(tmp_path)
    assert [reopened.get(d) for d in digests] == payloads
    assert not list(tmp_path.rglob(".tmp-*"))


def test_blobs_close_writes_what_waits_and_a_later_put_starts_a_writer(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put(b"first" * 1000, durable=False)
    store.close()
    assert blob_file(tmp_path, first).exists()
    second = store.put(b"second" * 1000, durable=False)
    store.close()
    assert blob_file(tmp_path, second).read_bytes() == b"second" * 1000


def test_blobs_past_the_write_behind_cap_put_writes_itself(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, write_behind_max_bytes=100)
    digest = store.put(b"z" * 101, durable=False)
    assert blob_file(tmp_path, digest).read_bytes() == b"z" * 101  # no flush needed
    store.close()


def test_blobs_a_blob_the_writer_cannot_write_is_dropped_and_the_rest_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A write that fails in the writer thread (here: a file where its folder must be) is
    logged and forgotten, as a lost unsynced file is; the blobs after it are written."""
    store = BlobStore(tmp_path)
    doomed = hashlib.sha256(b"doomed").digest()
    (tmp_path / doomed.hex()[:2]).write_bytes(b"in the way")
    with caplog.at_level("WARNING", logger="node.storage.blobs"):
        assert store.put(b"doomed", durable=False) == doomed
        kept = store.put(b"kept", durable=False)
        store.flush()
    assert not store.has(doomed) and store.get(doomed) is None
    assert store.get(kept) == b"kept" and blob_file(tmp_path, kept).exists()
    assert "not written" in caplog.text
    store.close()


def test_blobs_a_durable_put_of_a_waiting_blob_writes_it_at_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    payload = b"both" * 1000
    digest = store.put(payload, durable=False)
    assert store.put(payload) == digest
    assert blob_file(tmp_path, digest).read_bytes() == payload  # no flush needed
    store.close()
    assert store.get(digest) == payload
