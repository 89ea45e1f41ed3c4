"""Encode a flat delta into versioned bytes, and decode untrusted bytes back.

`decode_delta` raises CodecError for anything malformed (bad magic or version, unknown codec,
truncated or trailing bytes, oversized, hash mismatch, NaN/Inf) and never any other exception.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ml.codec.header import CodecKind, DeltaHeader, pack_header, parse_header
from ml.codec.payload import decode_payload, encode_payload
from ml.errors import CodecError
from ml.types import Float32Array, ModelId, Shape

CodecName = Literal["float32", "float16", "int8", "topk"]
MAX_DELTA_BYTES = 512 * 1024 * 1024
MAX_DELTA_PARAMS = 128 * 1024 * 1024
_KINDS: dict[str, CodecKind] = {k.name.lower(): k for k in CodecKind}


@dataclass(frozen=True)
class CodecConfig:
    """How a node encodes its deltas: the codec name and, for top-k, the kept fraction."""

    name: CodecName = "float32"
    topk_fraction: float = 0.01

    def __post_init__(self) -> None:
        if self.name not in _KINDS:
            raise CodecError(f"unknown codec {self.name!r}; known: {sorted(_KINDS)}")
        if not 0.0 < self.topk_fraction <= 1.0:
            raise CodecError(f"top-k fraction must be in (0, 1], got {self.topk_fraction}")


@dataclass(frozen=True, eq=False)
class DecodedDelta:
    """A decoded delta: model id, codec, tensor shapes and flat float32 values."""

    model_id: ModelId
    codec: CodecKind
    shapes: tuple[Shape, ...]
    values: Float32Array


def encode_delta(
    values: Float32Array, model_id: ModelId, shapes: tuple[Shape, ...], config: CodecConfig
) -> bytes:
    """Versioned bytes for flat float32 `values` shaped as `shapes`."""
    if values.dtype != np.float32 or values.ndim != 1:
        raise CodecError(f"delta must be a flat float32 vector, got {values.dtype}")
    if values.size != sum(math.prod(s) for s in shapes) or values.size == 0:
        raise CodecError(f"{values.size} values do not fill shapes {shapes}")
    if not np.isfinite(values).all():
        raise CodecError("delta contains NaN or Inf")
    kind = _KINDS[config.name]
    payload = encode_payload(kind, values, shapes, config.topk_fraction)
    digest = hashlib.sha256(payload).digest()
    header = DeltaHeader(kind, model_id, tuple(shapes), len(payload), digest)
    return pack_header(header) + payload


def decode_delta(
    data: bytes, max_params: int = MAX_DELTA_PARAMS, max_bytes: int = MAX_DELTA_BYTES
) -> DecodedDelta:
    """The delta in `data`, fully checked; raises CodecError, and only CodecError."""
    try:
        return _decode(bytes(data), max_params, max_bytes)
    except CodecError:
        raise
    except Exception as exc:  # a defect in a check above must still surface as CodecError
        raise CodecError(f"malformed delta: {type(exc).__name__}: {exc}") from exc


def _decode(data: bytes, max_params: int, max_bytes: int) -> DecodedDelta:
    if len(data) > max_bytes:
        raise CodecError(f"delta of {len(data)} bytes exceeds the limit of {max_bytes}")
    header, start = parse_header(data)
    if header.num_params > max_params:
        raise CodecError(f"delta claims {header.num_params} values, limit is {max_params}")
    if len(data) - start != header.payload_size:
        raise CodecError(f"payload is {len(data) - start} bytes, header says {header.payload_size}")
    payload = data[start:]
    if hashlib.sha256(payload).digest() != header.payload_hash:
        raise CodecError("payload hash does not match the header")
    values = decode_payload(header.codec, payload, header.shapes)
    if not np.isfinite(values).all():
        raise CodecError("delta contains NaN or Inf")
    return DecodedDelta(header.model_id, header.codec, header.shapes, values)
