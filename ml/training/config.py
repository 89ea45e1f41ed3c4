"""Training parameters and metrics (plain data, importable without torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ml.errors import TrainingError


@dataclass(frozen=True)
class TrainConfig:
    """Local epochs E, mini-batch size and SGD step size / momentum."""

    epochs: int = 1
    batch_size: int = 32
    lr: float = 0.1
    momentum: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise TrainingError("epochs and batch_size must be >= 1")
        if not (math.isfinite(self.lr) and self.lr > 0.0 and 0.0 <= self.momentum < 1.0):
            raise TrainingError(f"bad lr {self.lr} or momentum {self.momentum}")


@dataclass(frozen=True)
class Metrics:
    """Mean cross-entropy and accuracy over a dataset of ``samples`` samples (0: not counted)."""

    loss: float
    accuracy: float
    samples: int = 0
