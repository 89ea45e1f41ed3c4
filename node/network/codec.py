"""Encoding of requests and responses on the stream protocols (canonical CBOR).

Request frames are CBOR maps with fixed keys. A response frame is one status byte followed
by the body: raw bytes for a blob, a CBOR list of byte strings for blocks, a CBOR map for
status. Every decoder checks types and keys and raises :class:`MalformedFrameError`.
"""

import enum
from dataclasses import dataclass
from typing import Any

import cbor2

from node.network.errors import MalformedFrameError
from node.network.values import BLOB_HASH_SIZE, Status


class Code(enum.IntEnum):
    """Status byte of a response."""

    OK = 0
    NOT_FOUND = 1
    BAD_REQUEST = 2
    UNAVAILABLE = 3
    TOO_LARGE = 4


@dataclass(frozen=True)
class BlobRequest:
    blob_hash: bytes
    max_size: int


@dataclass(frozen=True)
class BlocksRequest:
    start: int
    end: int


def _dumps(obj: object) -> bytes:
    return cbor2.dumps(obj, canonical=True)


def _loads_map(data: bytes, keys: frozenset[str]) -> dict[str, Any]:
    try:
        obj = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as exc:
        raise MalformedFrameError(f"undecodable CBOR: {exc}") from exc
    if not isinstance(obj, dict) or set(obj) != keys:
        raise MalformedFrameError(f"expected a CBOR map with keys {sorted(keys)}")
    return obj


def _get_uint(obj: dict[str, Any], key: str) -> int:
    value = obj[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 2**63:
        raise MalformedFrameError(f"field {key!r} must be an unsigned 63-bit integer")
    return value


def encode_blob_request(request: BlobRequest) -> bytes:
    return _dumps({"hash": request.blob_hash, "max": request.max_size})


def decode_blob_request(data: bytes) -> BlobRequest:
    obj = _loads_map(data, frozenset({"hash", "max"}))
    blob_hash = obj["hash"]
    if not isinstance(blob_hash, bytes) or len(blob_hash) != BLOB_HASH_SIZE:
        raise MalformedFrameError(f"field 'hash' must be {BLOB_HASH_SIZE} bytes")
    return BlobRequest(blob_hash, _get_uint(obj, "max"))


def encode_blocks_request(request: BlocksRequest) -> bytes:
    return _dumps({"start": request.start, "end": request.end})


def decode_blocks_request(data: bytes) -> BlocksRequest:
    obj = _loads_map(data, frozenset({"start", "end"}))
    start, end = _get_uint(obj, "start"), _get_uint(obj, "end")
    if end < start:
        raise MalformedFrameError(f"block range end {end} is before start {start}")
    return BlocksRequest(start, end)


def encode_status_request() -> bytes:
    return _dumps({})


def decode_status_request(data: bytes) -> None:
    _loads_map(data, frozenset())


def encode_response(code: Code, body: bytes = b"") -> bytes:
    return bytes([code]) + body


def decode_response(frame: bytes) -> tuple[Code, bytes]:
    if not frame:
        raise MalformedFrameError("empty response frame")
    try:
        code = Code(frame[0])
    except ValueError as exc:
        raise MalformedFrameError(f"unknown response code {frame[0]}") from exc
    return code, frame[1:]


def encode_blocks(items: list[bytes]) -> bytes:
    return _dumps(items)


def decode_blocks(body: bytes) -> list[bytes]:
    try:
        obj = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as exc:
        raise MalformedFrameError(f"undecodable block list: {exc}") from exc
    if not isinstance(obj, list) or not all(isinstance(item, bytes) for item in obj):
        raise MalformedFrameError("block list must be a CBOR array of byte strings")
    return obj


def encode_status(status: Status) -> bytes:
    fields = {"chain": status.chain_id, "genesis": status.genesis_hash, "height": status.height}
    return _dumps(fields)


def decode_status(body: bytes) -> Status:
    obj = _loads_map(body, frozenset({"chain", "genesis", "height"}))
    chain, genesis = obj["chain"], obj["genesis"]
    if not isinstance(chain, str) or not isinstance(genesis, bytes):
        raise MalformedFrameError("status needs a text 'chain' and a byte-string 'genesis'")
    return Status(chain, genesis, _get_uint(obj, "height"))
