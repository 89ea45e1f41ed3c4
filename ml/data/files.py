"""Built-in loaders for a node's own data: CSV and Parquet (label column by name), NPZ (x, y),
image folders (``class_name/*.png|jpg``, :mod:`ml.data.images`) and MNIST's IDX files
(:mod:`ml.data.idx`).

A node's data path is a file or a folder. A folder holds ``train.csv`` / ``train.npz`` (and
optionally ``validation.csv`` / ``validation.npz``) or any number of ``*.csv`` or ``*.npz``
files, read in name order. Without a validation file the node splits off its own validation
part (``validation_fraction``, seeded by ``split_seed``). CSV features are standardised with
the mean and standard deviation of the node's own training part. Every problem is one
DataError that names the file, and where it applies the row and column.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ml.data.idx import is_idx_folder, read_idx_part
from ml.data.images import get_class_names, is_image_folder, read_image_folder
from ml.data.parquet import read_parquet
from ml.data.tabular import Table, concat_tables, standardize
from ml.errors import DataError

SUFFIXES = (".csv", ".npz", ".parquet")
STANDARDIZED = (".csv", ".parquet")


def load_table_file(path: Path, label: str = "label") -> Table:
    """Features and integer labels from one CSV, Parquet or NPZ file."""
    if path.suffix == ".csv":
        return read_csv(path, label)
    if path.suffix == ".npz":
        return read_npz(path)
    if path.suffix == ".parquet":
        return read_parquet(path, label)
    raise DataError(f"{path}: unsupported data file (use .csv, .parquet or .npz)")


def read_csv(path: Path, label: str) -> Table:
    """A CSV with a header row: the ``label`` column holds integer classes, every other
    column a number."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from None
    if not rows or not rows[0]:
        raise DataError(f"{path}: empty file (a header row is needed)")
    header, body = [c.strip() for c in rows[0]], [r for r in rows[1:] if r]
    if label not in header:
        raise DataError(f"{path}: no label column {label!r} (columns: {', '.join(header)})")
    if not body:
        raise DataError(f"{path}: no data rows")
    at = header.index(label)
    values = np.empty((len(body), len(header)), dtype=np.float64)
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(f"{path}: row {number} has {len(row)} fields, the header {len(header)}")
        values[number - 2] = [_parse_number(path, number, header[i], v) for i, v in enumerate(row)]
    features = [i for i in range(len(header)) if i != at]
    return Table(values[:, features].astype(np.float32), _to_labels(path, values[:, at]))


def _parse_number(path: Path, row: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}: row {row}, column {column!r}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise DataError(f"{path}: row {row}, column {column!r} is not finite")
    return value


def _to_labels(path: Path, raw: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    if not np.all(raw == np.round(raw)) or (len(raw) and raw.min() < 0):
        raise DataError(f"{path}: labels must be whole numbers >= 0")
    return raw.astype(np.int64)


def read_npz(path: Path) -> Table:
    """An ``.npz`` file with arrays ``x`` (one row per sample) and ``y`` (integer labels)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "x" not in archive or "y" not in archive:
                raise DataError(f"{path}: an NPZ data file holds arrays named x and y")
            x, y = np.asarray(archive["x"]), np.asarray(archive["y"])
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: cannot read NPZ: {exc}") from None
    if x.ndim < 2 or y.ndim != 1 or len(x) != len(y) or not len(y):
        raise DataError(f"{path}: x {x.shape} and y {y.shape} do not pair up (or are empty)")
    if x.dtype.kind not in "fiub" or not np.isfinite(x.astype(np.float64)).all():
        raise DataError(f"{path}: x must be finite numbers")
    if y.dtype.kind not in "iuf":
        raise DataError(f"{path}: y must hold integer labels, got {y.dtype}")
    return Table(x.astype(np.float32), _to_labels(path, y.astype(np.float64)))


def find_data_files(path: Path) -> tuple[list[Path], list[Path]]:
    """(training files, validation files) under a data path."""
    if path.is_file():
        return [path], []
    if not path.is_dir():
        raise DataError(f"data path {path} does not exist")
    found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
    validation = [p for p in found if p.stem == "validation"]
    train = [p for p in found if p.stem == "train"] or [p for p in found if p not in validation]
    if not train:
        raise DataError(f"data folder {path} holds no .csv, .parquet, .npz or image folder")
    if len({p.suffix for p in train + validation}) > 1:
        raise DataError(f"data folder {path} mixes kinds of data files")
    return train, validation


def load_parts(path: Path, config: Mapping[str, Any]) -> tuple[Table, Table]:
    """(train, validation) for a node from its data path, as the module docstring says."""
    train, given, default = _load_sources(path, config)
    if given is not None:
        validation = given
    else:
        fraction = float(config.get("validation_fraction", 0.2))
        train, validation = train.split(fraction, int(config.get("split_seed", 0)))
    if bool(config.get("standardize", default)):
        train, validation = standardize(train, validation)
    return _checked(train, validation, config)


def _load_sources(path: Path, config: Mapping[str, Any]) -> tuple[Table, Table | None, bool]:
    """(training data, validation data if the path has its own, standardise by default)."""
    if is_idx_folder(path):
        train = read_idx_part(path, "train")
        if train is None:
            raise DataError(f"{path}: no train-images-idx3-ubyte")
        return train, read_idx_part(path, "validation"), False
    if is_image_folder(path):
        parts = (path / "train", path / "validation")
        root = parts[0] if parts[0].is_dir() else path
        classes = get_class_names(root, config)
        given = parts[1] if root is parts[0] and parts[1].is_dir() else None
        validation = None if given is None else read_image_folder(given, config, classes)
        return read_image_folder(root, config, classes), validation, False
    label = str(config.get("label", "label"))
    train_files, validation_files = find_data_files(path)
    train = concat_tables([load_table_file(p, label) for p in train_files])
    validation = None
    if validation_files:
        validation = concat_tables([load_table_file(p, label) for p in validation_files])
    return train, validation, train_files[0].suffix in STANDARDIZED


def _checked(train: Table, validation: Table, config: Mapping[str, Any]) -> tuple[Table, Table]:
    features = config.get("num_features")
    if features is not None and train.x.shape[1:] != (int(features),):
        raise DataError(f"data has {train.x.shape[1:]} features, the app expects {features}")
    if validation.x.shape[1:] != train.x.shape[1:]:
        raise DataError("training and validation data have different feature counts")
    classes = config.get("num_classes")
    if classes is not None:
        top = max(int(train.y.max()), int(validation.y.max()))
        if top >= int(classes):
            raise DataError(f"label {top} is outside the task's {classes} classes")
    return train, validation


def load_arrays(path: str | Path, config: Mapping[str, Any]) -> tuple[Any, Any]:
    """What an app's ``load_data`` returns: ``((x, y), (x, y))`` for training and validation."""
    train, validation = load_parts(Path(path), config)
    return train.as_pair(), validation.as_pair()
