"""The signer's state file: the last signed (height, round, step), its bytes and signature.

A validator signs three times a height, and each signature may leave only once its record is on
disk. Rewriting a file atomically (temporary file, fsync, rename, fsync of the directory) costs
two fsyncs and a journal commit that every process on the disk waits for: measured on the
4-validator testnet, 3.8 ms a signature on average. The file is therefore two fixed slots of
``SLOT_BYTES``, written in turn in place: one ``pwrite`` and one ``fdatasync``, which changes no
metadata (the size never changes). Each slot is one line of JSON padded with spaces, with a
sequence number and a CRC of its fields, so a slot torn by a crash mid-write is detected and the
other slot, one signature older, is used: that signature never left the node.

A file of the earlier format (one JSON object, rewritten whole) is read as such and replaced by
the slotted format, atomically, at the next signature.
"""

from __future__ import annotations

import enum
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.errors import StorageError

SLOT_BYTES = 4096
"""One slot: a page, so that writing one never touches the other."""
FIELDS = ("seq", "height", "round", "step", "sign_bytes", "signature")


class SignStep(enum.IntEnum):
    """Positions within a round, in signing order."""

    PROPOSAL = 1
    PREVOTE = 2
    PRECOMMIT = 3


@dataclass(frozen=True)
class SignedPosition:
    """The last thing signed: its (height, round, step), bytes and signature."""

    height: int
    round: int
    step: SignStep
    sign_bytes: bytes
    signature: bytes

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.height, self.round, int(self.step))


@dataclass(frozen=True)
class StoredPosition:
    """A slot's record and its sequence number (the newer slot has the higher one)."""

    seq: int
    record: SignedPosition


def load_last_signed(path: Path) -> SignedPosition | None:
    """The last signed record, or None for a fresh signer; a corrupt file raises StorageError."""
    stored = load_stored(path)
    return None if stored is None else stored.record


def load_stored(path: Path) -> StoredPosition | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"signer state {path} is unreadable: {exc}") from exc
    if not is_slotted(data):
        return StoredPosition(0, _parse_legacy(path, data))
    slots = [_parse_slot(data[i * SLOT_BYTES : (i + 1) * SLOT_BYTES]) for i in range(2)]
    valid = [s for s in slots if s is not None]
    if not valid:
        raise StorageError(f"signer state {path} is corrupt: neither slot holds a whole record")
    return max(valid, key=lambda s: s.seq)


def is_slotted(data: bytes) -> bool:
    """Two slots (a file of the earlier format holds one short record)."""
    return len(data) == 2 * SLOT_BYTES


def store_next(path: Path, stored: StoredPosition | None, record: SignedPosition) -> StoredPosition:
    """Write ``record`` durably after ``stored`` (what the file holds now) and return it as
    stored: in place into the older slot, or as a new slotted file when there is none yet."""
    seq = 1 if stored is None else stored.seq + 1
    slot = encode_slot(seq, record)
    if stored is None or stored.seq == 0:  # no file yet, or one of the earlier format
        slots = [encode_empty_slot(), encode_empty_slot()]
        slots[seq % 2] = slot
        _create(path, b"".join(slots))
    else:
        _write_slot(path, slot, seq % 2)
    return StoredPosition(seq, record)


def _write_slot(path: Path, slot: bytes, index: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as exc:
        raise StorageError(f"signer state {path} cannot be written: {exc}") from exc
    try:
        written = os.pwrite(fd, slot, index * SLOT_BYTES)
        if written != len(slot):
            raise StorageError(f"signer state {path}: short write ({written} bytes)")
        os.fdatasync(fd)
    finally:
        os.close(fd)


def encode_slot(seq: int, record: SignedPosition) -> bytes:
    body: dict[str, Any] = {
        "seq": seq,
        "height": record.height,
        "round": record.round,
        "step": int(record.step),
        "sign_bytes": record.sign_bytes.hex(),
        "signature": record.signature.hex(),
    }
    body["crc"] = _checksum(body)
    line = json.dumps(body).encode()
    if len(line) >= SLOT_BYTES:
        raise StorageError(f"signer record of {len(line)} bytes exceeds a {SLOT_BYTES}-byte slot")
    return line.ljust(SLOT_BYTES - 1) + b"\n"


def encode_empty_slot() -> bytes:
    return b" " * (SLOT_BYTES - 1) + b"\n"


def _checksum(body: dict[str, Any]) -> int:
    return zlib.crc32(json.dumps([body[name] for name in FIELDS]).encode())


def _parse_slot(slot: bytes) -> StoredPosition | None:
    """A slot's record, or None if it is empty or torn."""
    try:
        body = json.loads(slot)
        if not isinstance(body, dict) or body.get("crc") != _checksum(body):
            return None
        return StoredPosition(int(body["seq"]), _to_position(body))
    except (KeyError, TypeError, ValueError, RecursionError):
        return None


def _parse_legacy(path: Path, data: bytes) -> SignedPosition:
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise StorageError(f"signer state {path} is unreadable: {exc}") from exc
    try:
        return _to_position(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"signer state {path} is corrupt: {exc}") from exc


def _to_position(body: Any) -> SignedPosition:
    return SignedPosition(
        height=int(body["height"]),
        round=int(body["round"]),
        step=SignStep(int(body["step"])),
        sign_bytes=bytes.fromhex(body["sign_bytes"]),
        signature=bytes.fromhex(body["signature"]),
    )


def _create(path: Path, content: bytes) -> None:
    """Write the whole file atomically and durably (temporary file, fsync, rename, fsync dir)."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
