"""Attack generators for tests and simulations (never used by honest nodes).

Label flipping (data poisoning), sign flipping, scaled updates, and "A little is enough"
(Baruch, Baruch and Goldberg, NeurIPS 2019): per coordinate, mean - z * std of the honest
deltas, with z the largest value that still hides among them.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from ml.data.datasets import Dataset
from ml.errors import AttackError
from ml.types import Float32Array


def flip_labels(dataset: Dataset) -> Dataset:
    """Every label y becomes num_classes - 1 - y."""
    flipped = (dataset.num_classes - 1 - dataset.y).astype(np.int64)
    return Dataset(dataset.x, flipped, dataset.num_classes)


def flip_sign(delta: Float32Array, scale: float = 1.0) -> Float32Array:
    """The delta pointed the other way, times `scale`."""
    return scale_update(delta, -scale)


def scale_update(delta: Float32Array, factor: float) -> Float32Array:
    """The delta times `factor` (a boosted model-replacement update when factor >> 1)."""
    if not math.isfinite(factor):
        raise AttackError(f"factor must be finite, got {factor}")
    return (delta.astype(np.float64) * factor).astype(np.float32)


def compute_alie_z(num_nodes: int, num_byzantine: int) -> float:
    """z_max from Baruch et al.: s = floor(n/2 + 1) - f; z = Phi^-1((n - s) / n)."""
    if not 0 < num_byzantine < num_nodes:
        raise AttackError(f"need 0 < byzantine ({num_byzantine}) < nodes ({num_nodes})")
    supporters = math.floor(num_nodes / 2 + 1) - num_byzantine
    share = (num_nodes - supporters) / num_nodes
    if not 0.0 < share < 1.0:
        raise AttackError(f"no z exists for n={num_nodes}, f={num_byzantine}")
    return NormalDist().inv_cdf(share)


def little_is_enough(honest: Float32Array, num_nodes: int, num_byzantine: int) -> Float32Array:
    """The malicious delta every attacker sends: mean - z_max * std of `honest` (rows)."""
    if honest.ndim != 2 or honest.shape[0] < 2:
        raise AttackError("need a matrix of at least two honest deltas")
    z = compute_alie_z(num_nodes, num_byzantine)
    rows = honest.astype(np.float64)
    malicious: Float32Array = (rows.mean(axis=0) - z * rows.std(axis=0)).astype(np.float32)
    return malicious
