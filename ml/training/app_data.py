"""What an app's ``load_data`` returns, made uniform: arrays ``(x, y)`` or a torch Dataset.

Batches are drawn by index, so the order of a node's training samples comes only from the
job's seed (never from a DataLoader's own shuffling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import default_collate

from ml.errors import DataError


@dataclass(frozen=True, eq=False)
class DataPart:
    """One part of a node's data (training or validation)."""

    size: int
    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    dataset: TorchDataset[Any] | None = None
    source: object = None
    """What ``load_data`` returned, handed unchanged to an app's own train or evaluate."""

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and labels at ``indices``."""
        if self.x is not None and self.y is not None:
            return self.x[indices], self.y[indices]
        if self.dataset is None:
            raise DataError("a data part holds neither arrays nor a Dataset")
        items = [self.dataset[int(i)] for i in indices]
        x, y = default_collate(items)
        return x, torch.as_tensor(y)


@dataclass(frozen=True, eq=False)
class AppData:
    """A node's training and validation parts, as its app loaded them."""

    train: DataPart
    validation: DataPart


def make_app_data(loaded: object) -> AppData:
    """Check and convert what ``load_data`` returned; raises DataError with the reason."""
    if not isinstance(loaded, tuple | list) or len(loaded) != 2:
        raise DataError("load_data must return (train, validation)")
    train = make_part("training", loaded[0])
    validation = make_part("validation", loaded[1])
    if train.size == 0 or validation.size == 0:
        raise DataError("load_data returned an empty training or validation part")
    return AppData(train, validation)


def make_part(what: str, part: object) -> DataPart:
    """A DataPart from an ``(x, y)`` pair of arrays or a torch Dataset."""
    if isinstance(part, TorchDataset):
        try:
            size = len(part)  # type: ignore[arg-type]
        except TypeError:
            raise DataError(f"the {what} Dataset has no length") from None
        return DataPart(size, dataset=part, source=part)
    if isinstance(part, Sequence) and len(part) == 2:
        return _array_part(what, part[0], part[1], part)
    raise DataError(f"the {what} part must be (x, y) arrays or a torch Dataset")


def _array_part(what: str, x_raw: object, y_raw: object, source: object) -> DataPart:
    try:
        x = np.ascontiguousarray(np.asarray(x_raw, dtype=np.float32))
        y = np.asarray(y_raw)
    except (TypeError, ValueError) as exc:
        raise DataError(f"the {what} arrays are not numeric: {exc}") from None
    if y.ndim != 1 or len(x) != len(y) or x.ndim < 2:
        raise DataError(f"the {what} part has x {x.shape} and y {y.shape}: they do not pair up")
    if not np.isfinite(x).all():
        raise DataError(f"the {what} features contain NaN or Inf")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"the {what} labels must be whole numbers")
    elif y.dtype.kind not in "iu":
        raise DataError(f"the {what} labels must be integers, got {y.dtype}")
    labels = torch.from_numpy(y.astype(np.int64))
    return DataPart(len(y), x=torch.from_numpy(x), y=labels, source=source)
