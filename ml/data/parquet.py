"""Parquet files: the ``label`` column holds integer classes from 0, every other column a
number (integer, float or boolean), with no empty values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ml.data.tabular import Table
from ml.errors import DataError


def read_parquet(path: Path, label: str) -> Table:
    """Features and integer labels from one Parquet file; one DataError per problem."""
    table = read_parquet_table(path)
    if label not in table.column_names:
        names = ", ".join(table.column_names)
        raise DataError(f"{path}: no label column {label!r} (columns: {names})")
    if table.num_rows == 0:
        raise DataError(f"{path}: no data rows")
    columns = {name: _numbers(path, name, table.column(name)) for name in table.column_names}
    raw = columns.pop(label)
    if not np.all(raw == np.round(raw)) or raw.min() < 0:
        raise DataError(f"{path}: labels must be whole numbers >= 0")
    if not columns:
        raise DataError(f"{path}: no feature columns besides {label!r}")
    x = np.stack(list(columns.values()), axis=1).astype(np.float32)
    return Table(x, raw.astype(np.int64))


def read_parquet_table(path: Path) -> Any:
    """The pyarrow table of a Parquet file (DataError when it cannot be read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: cannot read Parquet: {exc}") from None


def _numbers(path: Path, name: str, column: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    import pyarrow as pa

    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        raise DataError(f"{path}: column {name!r} holds {kind}, not numbers")
    if column.null_count:
        raise DataError(f"{path}: column {name!r} has {column.null_count} empty values")
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    if not np.isfinite(values).all():
        raise DataError(f"{path}: column {name!r} is not finite everywhere")
    return values
