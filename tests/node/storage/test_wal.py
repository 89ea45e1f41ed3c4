"""The consensus write-ahead log: durability framing and torn-tail repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.errors import StorageError
from node.storage.wal import WriteAheadLog, read_records


def test_wal_records_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    with WriteAheadLog(path) as wal:
        wal.append(b"one")
        wal.append(b"")
        wal.append(b"three" * 1000)
    with WriteAheadLog(path) as wal:
        wal.append(b"four")
    assert read_records(path) == [b"one", b"", b"three" * 1000, b"four"]


@pytest.mark.parametrize("cut", [1, 5, 8, 10])
def test_wal_torn_tail_is_truncated_to_last_whole_record(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "wal"
    with WriteAheadLog(path, sync=False) as wal:
        wal.append(b"first")
        wal.append(b"second-record")
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size - cut)
    assert read_records(path) == [b"first"]
    assert path.stat().st_size == 8 + len(b"first")
    with WriteAheadLog(path, sync=False) as wal:
        wal.append(b"after")
    assert read_records(path) == [b"first", b"after"]


def test_wal_corrupt_record_stops_replay(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    with WriteAheadLog(path, sync=False) as wal:
        for record in (b"a", b"b", b"c"):
            wal.append(record)
    raw = bytearray(path.read_bytes())
    raw[8 + 1 + 8] ^= 0xFF  # flip the payload byte of the second record
    path.write_bytes(bytes(raw))
    assert read_records(path) == [b"a"]


def test_wal_reset_empties_the_log(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    with WriteAheadLog(path, sync=False) as wal:
        wal.append(b"old")
        inode = path.stat().st_ino
        wal.reset()
        assert read_records(path) == [] and path.stat().st_size == 0
        assert path.stat().st_ino == inode  # truncated in place, not replaced
        wal.append(b"new")
    assert read_records(path) == [b"new"]


def test_wal_missing_file_has_no_records(tmp_path: Path) -> None:
    assert read_records(tmp_path / "absent") == []


def test_wal_rejects_oversized_record(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path / "wal", sync=False) as wal, pytest.raises(StorageError):
        wal.append(b"x" * ((16 << 20) + 1))


def test_wal_appends_are_readable_before_and_after_make_durable(tmp_path: Path) -> None:
    """Appends reach the OS at once (another reader sees them); make_durable fsyncs them and
    any later appends are again readable, across a reset."""
    path = tmp_path / "wal"
    with WriteAheadLog(path) as wal:
        wal.append(b"peer vote")
        assert read_records(path) == [b"peer vote"]
        wal.make_durable()
        wal.append(b"own vote")
        wal.make_durable()
        wal.make_durable()  # nothing new: no second fsync needed, no error
        assert read_records(path) == [b"peer vote", b"own vote"]
        wal.reset()
        wal.append(b"next height")
        assert read_records(path) == [b"next height"]
