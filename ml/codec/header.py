"""The delta header: magic, version, codec, model id, shapes, payload length and hash.

Layout (little-endian): ``DCDL`` | u8 version | u8 codec | u8 id length | model id (ASCII) |
u16 tensor count | per tensor: u8 ndim, u32 dims | u64 payload length | 32-byte SHA-256 of the
payload | payload. Parsing bounds-checks every field and raises CodecError, nothing else.
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass

from ml.errors import CodecError
from ml.types import ModelId, Shape

MAGIC = b"DCDL"
VERSION = 1
MAX_NDIM = 8
MAX_TENSORS = 1024
MAX_MODEL_ID = 64
HASH_SIZE = 32


class CodecKind(enum.IntEnum):
    """Wire id of each value encoding."""

    FLOAT32 = 1
    FLOAT16 = 2
    INT8 = 3
    TOPK = 4


@dataclass(frozen=True)
class DeltaHeader:
    """Everything before the payload."""

    codec: CodecKind
    model_id: ModelId
    shapes: tuple[Shape, ...]
    payload_size: int
    payload_hash: bytes

    @property
    def num_params(self) -> int:
        return sum(math.prod(s) for s in self.shapes)


def validate_model_id(model_id: str) -> None:
    """Raise CodecError unless `model_id` is 1-64 printable ASCII characters."""
    if not 0 < len(model_id) <= MAX_MODEL_ID or not (model_id.isascii() and model_id.isprintable()):
        raise CodecError(f"model id must be 1-{MAX_MODEL_ID} printable ASCII characters")


def pack_header(header: DeltaHeader) -> bytes:
    """Header bytes for `header` (the payload follows them)."""
    validate_model_id(header.model_id)
    if len(header.shapes) > MAX_TENSORS or len(header.payload_hash) != HASH_SIZE:
        raise CodecError("too many tensors or a bad payload hash")
    out = [MAGIC, struct.pack("<BBB", VERSION, header.codec, len(header.model_id))]
    out += [header.model_id.encode("ascii"), struct.pack("<H", len(header.shapes))]
    for shape in header.shapes:
        if not 0 < len(shape) <= MAX_NDIM or min(shape) <= 0:
            raise CodecError(f"bad tensor shape {shape}")
        out.append(struct.pack(f"<B{len(shape)}I", len(shape), *shape))
    out += [struct.pack("<Q", header.payload_size), header.payload_hash]
    return b"".join(out)


class _Reader:
    """Bounds-checked cursor over untrusted bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise CodecError(f"truncated: needed {size} bytes at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple[int, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))


def parse_header(data: bytes) -> tuple[DeltaHeader, int]:
    """The header and the offset where the payload starts."""
    reader = _Reader(data)
    if reader.take(4) != MAGIC:
        raise CodecError("bad magic: not a delta")
    version, codec_id, id_len = reader.unpack("<BBB")
    if version != VERSION:
        raise CodecError(f"unsupported delta version {version}")
    try:
        codec = CodecKind(codec_id)
    except ValueError:
        raise CodecError(f"unknown codec id {codec_id}") from None
    raw_id = reader.take(id_len)
    try:
        model_id = raw_id.decode("ascii")
    except UnicodeDecodeError:
        raise CodecError("model id is not ASCII") from None
    validate_model_id(model_id)
    shapes = _parse_shapes(reader)
    (payload_size,) = reader.unpack("<Q")
    payload_hash = reader.take(HASH_SIZE)
    header = DeltaHeader(codec, model_id, shapes, payload_size, payload_hash)
    return header, reader.pos


def _parse_shapes(reader: _Reader) -> tuple[Shape, ...]:
    (count,) = reader.unpack("<H")
    if not 0 < count <= MAX_TENSORS:
        raise CodecError(f"tensor count {count} not in [1, {MAX_TENSORS}]")
    shapes = []
    for _ in range(count):
        (ndim,) = reader.unpack("<B")
        if not 0 < ndim <= MAX_NDIM:
            raise CodecError(f"tensor rank {ndim} not in [1, {MAX_NDIM}]")
        dims = reader.unpack(f"<{ndim}I")
        if min(dims) == 0:
            raise CodecError("tensor with a zero dimension")
        shapes.append(tuple(dims))
    return tuple(shapes)
