"""Payload bodies per codec: values to bytes and back, with every check on the way in.

- float32: N little-endian float32.
- float16: N little-endian float16 (|x| must be <= 65504).
- int8: one float32 scale per tensor (max |x| / 127), then N int8 in [-127, 127].
- top-k: u32 k, k strictly increasing u32 flat indices, k float32 values; the rest are zero.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from ml.codec.header import CodecKind
from ml.errors import CodecError
from ml.types import Float32Array, IntArray, Shape

FLOAT16_MAX = 65504.0


def encode_payload(
    kind: CodecKind, values: Float32Array, shapes: tuple[Shape, ...], topk_fraction: float
) -> bytes:
    """Payload bytes for flat finite float32 `values` laid out as `shapes`."""
    if kind is CodecKind.FLOAT32:
        return values.astype("<f4").tobytes()
    if kind is CodecKind.FLOAT16:
        if values.size and float(np.max(np.abs(values))) > FLOAT16_MAX:
            raise CodecError("value outside the float16 range")
        return values.astype("<f2").tobytes()
    if kind is CodecKind.INT8:
        return _encode_int8(values, shapes)
    return _encode_topk(values, topk_fraction)


def _encode_int8(values: Float32Array, shapes: tuple[Shape, ...]) -> bytes:
    scales, chunks, offset = [], [], 0
    for shape in shapes:
        part = values[offset : offset + math.prod(shape)].astype(np.float64)
        offset += part.size
        scale = float(np.float32(float(np.max(np.abs(part))) / 127.0))
        scales.append(scale)
        q = np.rint(part / scale) if scale > 0.0 else np.zeros(part.size)
        chunks.append(np.clip(q, -127, 127).astype(np.int8))
    body: bytes = np.concatenate(chunks).tobytes()
    return np.asarray(scales, dtype="<f4").tobytes() + body


def _encode_topk(values: Float32Array, fraction: float) -> bytes:
    if not 0.0 < fraction <= 1.0:
        raise CodecError(f"top-k fraction must be in (0, 1], got {fraction}")
    k = max(1, math.ceil(values.size * fraction))
    chosen = np.argpartition(np.abs(values), values.size - k)[values.size - k :]
    indices = np.sort(chosen).astype("<u4")
    picked: bytes = values[indices].astype("<f4").tobytes()
    return struct.pack("<I", k) + indices.tobytes() + picked


def decode_payload(kind: CodecKind, payload: bytes, shapes: tuple[Shape, ...]) -> Float32Array:
    """Flat float32 values; raises CodecError if the payload does not fit `shapes`."""
    total = sum(math.prod(s) for s in shapes)
    if kind is CodecKind.FLOAT32:
        return _read(payload, "<f4", total)
    if kind is CodecKind.FLOAT16:
        return _read(payload, "<f2", total)
    if kind is CodecKind.INT8:
        return _decode_int8(payload, shapes, total)
    return _decode_topk(payload, total)


def _read(payload: bytes, dtype: str, count: int, offset: int = 0) -> Float32Array:
    if len(payload) != offset + count * np.dtype(dtype).itemsize:
        raise CodecError(f"payload of {len(payload)} bytes does not hold {count} x {dtype}")
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset).astype(np.float32)


def _decode_int8(payload: bytes, shapes: tuple[Shape, ...], total: int) -> Float32Array:
    head = 4 * len(shapes)
    if len(payload) != head + total:
        raise CodecError(f"int8 payload of {len(payload)} bytes, expected {head + total}")
    scales = np.frombuffer(payload, dtype="<f4", count=len(shapes))
    if not np.isfinite(scales).all() or (scales < 0).any():
        raise CodecError("int8 scale is negative or not finite")
    q = np.frombuffer(payload, dtype=np.int8, offset=head)
    if (q == -128).any():
        raise CodecError("int8 value -128 is not canonical")
    sizes = np.asarray([math.prod(s) for s in shapes], dtype=np.int64)
    per_value = np.repeat(scales.astype(np.float32), sizes)
    return q.astype(np.float32) * per_value


def _decode_topk(payload: bytes, total: int) -> Float32Array:
    if len(payload) < 4:
        raise CodecError("top-k payload shorter than its count")
    (k,) = struct.unpack_from("<I", payload)
    if not 0 < k <= total or len(payload) != 4 + 8 * k:
        raise CodecError(f"top-k count {k} does not fit {total} values / {len(payload)} bytes")
    indices: IntArray = np.frombuffer(payload, "<u4", k, 4).astype(np.int64)
    if indices[-1] >= total or (k > 1 and not (np.diff(indices) > 0).all()):
        raise CodecError("top-k indices out of range or not strictly increasing")
    out = np.zeros(total, dtype=np.float32)
    out[indices] = np.frombuffer(payload, "<f4", k, 4 + 4 * k)
    return out
