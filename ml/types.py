"""Typed aliases shared across the ml package."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Float32Array: TypeAlias = npt.NDArray[np.float32]
Float64Array: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
Shape: TypeAlias = tuple[int, ...]
ModelId: TypeAlias = str
TxHash: TypeAlias = bytes
