"""A node's tabular data in memory: features, labels, its own validation split, scaling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.errors import DataError
from ml.types import Float32Array, IntArray


@dataclass(frozen=True, eq=False)
class Table:
    """Float32 features (one row per sample) and int64 labels."""

    x: Float32Array
    y: IntArray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, indices: IntArray) -> Table:
        return Table(self.x[indices], self.y[indices])

    def split(self, fraction: float, seed: int) -> tuple[Table, Table]:
        """(train, validation): a seeded permutation, ``fraction`` of it for validation."""
        if not 0.0 < fraction < 1.0:
            raise DataError(f"validation_fraction must be in (0, 1), got {fraction}")
        count = round(len(self) * fraction)
        if count < 1 or count >= len(self):
            raise DataError(f"{len(self)} samples are too few to split off a validation part")
        order = np.random.Generator(np.random.PCG64(seed)).permutation(len(self))
        return self.take(np.sort(order[count:])), self.take(np.sort(order[:count]))

    def as_pair(self) -> tuple[Float32Array, IntArray]:
        return self.x, self.y


def concat_tables(tables: Sequence[Table]) -> Table:
    """The tables one after another; they must have the same feature shape."""
    if len({t.x.shape[1:] for t in tables}) != 1:
        raise DataError("data files have different numbers of features")
    return Table(np.concatenate([t.x for t in tables]), np.concatenate([t.y for t in tables]))


def standardize(train: Table, validation: Table) -> tuple[Table, Table]:
    """Both parts scaled with the training part's mean and standard deviation (a constant
    feature is only centred)."""
    mean = train.x.mean(axis=0, dtype=np.float64)
    std = train.x.std(axis=0, dtype=np.float64)
    std[std == 0.0] = 1.0

    def scale(table: Table) -> Table:
        return Table(((table.x - mean) / std).astype(np.float32), table.y)

    return scale(train), scale(validation)
