"""Float64 reductions whose result does not depend on the machine, the BLAS or SIMD width.

Only element-wise IEEE-754 operations are used (each correctly rounded, so bit-identical on
every conforming machine), combined in an order fixed by the data's length alone.
"""

from __future__ import annotations

import math

import numpy as np

from ml.types import Float64Array


def compute_tree_sum(values: Float64Array) -> Float64Array:
    """Sum over the last axis as a fixed pairwise tree of element-wise additions.

    Pads odd lengths with +0.0 (adding zero changes nothing except -0.0 to +0.0).
    """
    current = np.asarray(values, dtype=np.float64)
    while current.shape[-1] > 1:
        if current.shape[-1] % 2:
            pad = np.zeros((*current.shape[:-1], 1), dtype=np.float64)
            current = np.concatenate([current, pad], axis=-1)
        current = current[..., 0::2] + current[..., 1::2]
    if current.shape[-1] == 0:
        return np.zeros(current.shape[:-1], dtype=np.float64)
    return current[..., 0]


def compute_l2_norm(values: Float64Array) -> float:
    """Euclidean norm of a 1-D float64 vector, reduced with `compute_tree_sum`."""
    return math.sqrt(float(compute_tree_sum(values * values)))


def compute_sequential_sum(rows: Float64Array, weights: Float64Array | None = None) -> Float64Array:
    """sum_i weights[i] * rows[i], accumulated row by row in index order (float64)."""
    total = np.zeros(rows.shape[1], dtype=np.float64)
    for index in range(rows.shape[0]):
        total += rows[index] if weights is None else weights[index] * rows[index]
    return total
