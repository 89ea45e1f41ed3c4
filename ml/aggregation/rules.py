"""Aggregation rules as pure functions over a float64 matrix, one row per delta.

Rows arrive in canonical order (sorted by transaction hash). Every rule returns the aggregate
(float64) and the row indices it accepted. Sums run row by row in index order; sorting and
element-wise arithmetic are exact, so the result is bit-identical across processes and runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.aggregation.numerics import compute_sequential_sum, compute_tree_sum
from ml.errors import InsufficientDeltasError
from ml.types import Float64Array, IntArray


@dataclass(frozen=True, eq=False)
class RuleOutcome:
    """The aggregate and the (sorted) indices of the rows it accepted."""

    aggregate: Float64Array
    accepted: tuple[int, ...]


def _require(rows: Float64Array, needed: int) -> None:
    if rows.ndim != 2 or rows.shape[0] < needed:
        raise InsufficientDeltasError(rows.shape[0] if rows.ndim == 2 else 0, needed)


def aggregate_fedavg(rows: Float64Array, num_samples: IntArray) -> RuleOutcome:
    """Sample-weighted mean: sum_i (n_i / N) d_i."""
    _require(rows, 1)
    total = int(np.sum(num_samples))
    weights = np.asarray([int(n) / total for n in num_samples], dtype=np.float64)
    return RuleOutcome(compute_sequential_sum(rows, weights), tuple(range(rows.shape[0])))


def aggregate_median(rows: Float64Array) -> RuleOutcome:
    """Coordinate-wise median (mean of the two middle values for an even count)."""
    _require(rows, 1)
    ordered = np.sort(rows, axis=0)
    n = rows.shape[0]
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) * 0.5
    return RuleOutcome(middle, tuple(range(n)))


def aggregate_trimmed_mean(rows: Float64Array, beta: float) -> RuleOutcome:
    """Coordinate-wise mean after dropping the floor(beta * n) smallest and largest values."""
    _require(rows, 1)
    n = rows.shape[0]
    cut = math.floor(beta * n)
    kept = np.sort(rows, axis=0)[cut : n - cut]
    return RuleOutcome(compute_sequential_sum(kept) / kept.shape[0], tuple(range(n)))


def compute_krum_scores(rows: Float64Array, f: int) -> Float64Array:
    """Each row's sum of squared distances to its n - f - 2 nearest other rows."""
    n = rows.shape[0]
    distances = np.zeros((n, n), dtype=np.float64)
    for i in range(n - 1):
        diff = rows[i + 1 :] - rows[i]
        distances[i, i + 1 :] = compute_tree_sum(diff * diff)
        distances[i + 1 :, i] = distances[i, i + 1 :]
    nearest = n - f - 2
    scores = np.zeros(n, dtype=np.float64)
    for i in range(n):
        others = np.sort(np.delete(distances[i], i))[:nearest]
        scores[i] = compute_tree_sum(others)
    return scores


def aggregate_krum(rows: Float64Array, f: int) -> RuleOutcome:
    """Krum (Blanchard et al. 2017): the single row with the lowest score; needs n >= 2f + 3."""
    _require(rows, 2 * f + 3)
    best = int(np.argmin(compute_krum_scores(rows, f)))
    return RuleOutcome(rows[best].copy(), (best,))


def aggregate_multi_krum(rows: Float64Array, f: int, m: int) -> RuleOutcome:
    """Multi-Krum: the mean of the m lowest-scored rows (ties go to the earlier row)."""
    _require(rows, max(2 * f + 3, m))
    order = np.argsort(compute_krum_scores(rows, f), kind="stable")
    chosen = tuple(sorted(int(i) for i in order[:m]))
    return RuleOutcome(compute_sequential_sum(rows[list(chosen)]) / m, chosen)
