"""Checks a decoded delta must pass before it counts, and norm clipping."""

from __future__ import annotations

import numpy as np

from ml.aggregation.numerics import compute_l2_norm
from ml.codec.delta import DecodedDelta
from ml.errors import DeltaCheckError
from ml.layout import Layout
from ml.types import Float64Array

MAX_SAMPLES = 2**40


def validate_delta(delta: DecodedDelta, model: Layout) -> None:
    """Raise DeltaCheckError unless `delta` is for the model of layout `model`, with its
    shapes, all finite."""
    if delta.model_id != model.model_id:
        raise DeltaCheckError(f"delta is for {delta.model_id!r}, the task uses {model.model_id!r}")
    if delta.shapes != model.shapes:
        raise DeltaCheckError(f"delta shapes {delta.shapes} differ from the model's")
    if delta.values.shape != (model.num_params,):
        raise DeltaCheckError(f"delta has {delta.values.size} values, model {model.num_params}")
    if not np.isfinite(delta.values).all():
        raise DeltaCheckError("delta contains NaN or Inf")


def validate_num_samples(num_samples: object) -> int:
    """The sample count as an int in [1, 2^40]; raises DeltaCheckError otherwise."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        raise DeltaCheckError(f"sample count must be an int, got {type(num_samples).__name__}")
    if not 0 < num_samples <= MAX_SAMPLES:
        raise DeltaCheckError(f"sample count {num_samples} not in [1, {MAX_SAMPLES}]")
    return num_samples


def clip_delta(values: Float64Array, clip_norm: float) -> tuple[Float64Array, bool]:
    """`values` scaled down to L2 norm `clip_norm` if longer; returns (clipped, was_clipped)."""
    norm = compute_l2_norm(values)
    if norm <= clip_norm:
        return values, False
    return values * (clip_norm / norm), True
