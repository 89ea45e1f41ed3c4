"""Clip a delta and add Gaussian noise before it is signed, and account for it.

Adjacency is node level: two shards of the same node that differ arbitrarily. After clipping to
C, two deltas differ by at most 2C in L2, so noise std z * C gives sigma / sensitivity = z / 2
per release (conservative: no sampling amplification).
The generator must be seeded from a secret (e.g. `np.random.default_rng()`): noise that others
can predict protects nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.aggregation.checks import clip_delta
from ml.errors import PrivacyError
from ml.privacy.accountant import RdpAccountant
from ml.types import Float32Array


@dataclass(frozen=True)
class DpConfig:
    """Clipping bound C, noise multiplier z (noise std z * C) and the target delta."""

    clip_norm: float
    noise_multiplier: float
    target_delta: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("clip_norm", "noise_multiplier"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise PrivacyError(f"{name} must be finite and > 0, got {value}")
        if not 0.0 < self.target_delta < 1.0:
            raise PrivacyError(f"target_delta must be in (0, 1), got {self.target_delta}")

    @property
    def noise_ratio(self) -> float:
        """sigma / sensitivity for one release."""
        return self.noise_multiplier / 2.0


def privatize_delta(
    values: Float32Array,
    config: DpConfig,
    accountant: RdpAccountant,
    rng: np.random.Generator,
) -> tuple[Float32Array, RdpAccountant]:
    """Clipped, noised float32 delta and the accountant with this release recorded."""
    if values.dtype != np.float32 or values.ndim != 1 or not np.isfinite(values).all():
        raise PrivacyError("delta must be a flat, finite float32 vector")
    clipped, _ = clip_delta(values.astype(np.float64), config.clip_norm)
    noise = rng.normal(0.0, config.noise_multiplier * config.clip_norm, values.size)
    noisy = (clipped + noise).astype(np.float32)
    return noisy, accountant.record_gaussian(config.noise_ratio)
