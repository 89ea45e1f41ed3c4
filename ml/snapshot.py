"""Model-weights snapshots: one canonical byte form, fetched by hash, and the model hash.

Format: magic ``DCW1`` | u64 little-endian parameter count | float32 little-endian values.
The model hash is the SHA-256 of exactly these bytes, so a snapshot fetched by hash is checked
by hashing it.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from ml.errors import WeightsError
from ml.types import Float32Array

SNAPSHOT_MAGIC = b"DCW1"
_HEADER = struct.Struct("<4sQ")
MAX_SNAPSHOT_PARAMS = 256 * 1024 * 1024 // 4


def encode_weights(weights: Float32Array) -> bytes:
    """Canonical bytes of a flat, finite float32 weights vector."""
    if weights.dtype != np.float32 or weights.ndim != 1:
        raise WeightsError(f"weights must be a flat float32 vector, got {weights.dtype}")
    if not np.isfinite(weights).all():
        raise WeightsError("weights contain NaN or Inf")
    body = weights.astype("<f4", copy=False).tobytes()
    return _HEADER.pack(SNAPSHOT_MAGIC, weights.size) + body


def decode_weights(data: bytes, max_params: int = MAX_SNAPSHOT_PARAMS) -> Float32Array:
    """Weights from snapshot bytes; raises WeightsError for anything malformed."""
    if len(data) < _HEADER.size:
        raise WeightsError(f"snapshot of {len(data)} bytes is shorter than its header")
    magic, count = _HEADER.unpack_from(data)
    if magic != SNAPSHOT_MAGIC:
        raise WeightsError(f"bad snapshot magic {magic!r}")
    if count > max_params:
        raise WeightsError(f"snapshot claims {count} parameters, limit is {max_params}")
    if len(data) != _HEADER.size + 4 * count:
        raise WeightsError(f"snapshot length {len(data)} does not match {count} parameters")
    weights = np.frombuffer(data, dtype="<f4", offset=_HEADER.size).astype(np.float32)
    if not np.isfinite(weights).all():
        raise WeightsError("snapshot contains NaN or Inf")
    return weights


def compute_model_hash(weights: Float32Array) -> bytes:
    """SHA-256 of the canonical snapshot bytes of `weights` (32 bytes)."""
    return hashlib.sha256(encode_weights(weights)).digest()
