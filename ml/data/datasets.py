"""Datasets: scikit-learn's bundled 8x8 digits with a fixed test split, and synthetic data.

Nothing is downloaded: `load_digits` reads the copy inside the installed scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits

from ml.errors import DataError
from ml.types import Float32Array, IntArray

DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 20190101


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features `x` (float32, one row per sample) and integer labels `y` in [0, num_classes)."""

    x: Float32Array
    y: IntArray
    num_classes: int

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or self.y.ndim != 1 or len(self.x) != len(self.y):
            raise DataError(f"x {self.x.shape} and y {self.y.shape} do not pair up")
        if len(self.y) and (self.y.min() < 0 or self.y.max() >= self.num_classes):
            raise DataError(f"labels outside [0, {self.num_classes})")

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, indices: IntArray) -> Dataset:
        """The samples at `indices`, in that order."""
        return Dataset(self.x[indices], self.y[indices], self.num_classes)


@dataclass(frozen=True, eq=False)
class TrainTest:
    """A training set and the fixed test set that goes with it."""

    train: Dataset
    test: Dataset


def load_digits_split(test_fraction: float = DIGITS_TEST_FRACTION) -> TrainTest:
    """The 1,797 8x8 digits scaled to [0, 1], split by a fixed permutation (same every run)."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be in (0, 1), got {test_fraction}")
    bunch = load_digits()
    x = (np.asarray(bunch.data, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    order = np.random.Generator(np.random.PCG64(DIGITS_SPLIT_SEED)).permutation(len(y))
    num_test = round(len(y) * test_fraction)
    full = Dataset(x, y, 10)
    return TrainTest(train=full.subset(order[num_test:]), test=full.subset(order[:num_test]))


def make_synthetic(
    num_samples: int,
    seed: int,
    num_features: int = 64,
    num_classes: int = 10,
    separation: float = 1.0,
) -> Dataset:
    """Gaussian class clusters: class means ~ N(0, separation^2), samples = mean + N(0, 1)."""
    if num_samples <= 0 or num_features <= 0 or num_classes < 2:
        raise DataError("synthetic data needs samples > 0, features > 0 and classes >= 2")
    if seed < 0 or not separation > 0.0:
        raise DataError(f"bad seed {seed} or separation {separation}")
    rng = np.random.Generator(np.random.PCG64(seed))
    means = rng.standard_normal((num_classes, num_features)) * separation
    y = rng.integers(0, num_classes, num_samples, dtype=np.int64)
    x = means[y] + rng.standard_normal((num_samples, num_features))
    return Dataset(x.astype(np.float32), y, num_classes)
