"""``data split``: one source file cut into N physically separate per-node folders.

IID (a seeded permutation cut into near-equal parts) or Dirichlet(alpha) label skew, the same
partitions as ``ml.data.partition``. A CSV keeps its header and rows as written; an NPZ keeps
its arrays. Node i's part goes to ``<out>/node<i>/data.csv`` (or ``data.npz``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.data.files import read_csv, read_npz
from ml.data.partition import partition_dirichlet, partition_iid
from ml.errors import DataError
from ml.types import IntArray


@dataclass(frozen=True)
class SplitOptions:
    """How to cut the source: node count, scheme, Dirichlet alpha, seed, label column."""

    nodes: int
    partition: str = "iid"
    alpha: float = 0.5
    seed: int = 0
    label: str = "label"
    min_samples: int = 1


def split_data(source: Path, out: Path, options: SplitOptions) -> list[tuple[Path, int]]:
    """Write every node's part; returns (file, samples) per node."""
    if out.exists() and any(out.iterdir()):
        raise DataError(f"{out} is not empty; choose a new directory")
    if source.suffix == ".csv":
        labels = read_csv(source, options.label).y
        parts = _partition(labels, options)
        return _write_csv_parts(source, out, parts)
    if source.suffix == ".npz":
        table = read_npz(source)
        parts = _partition(table.y, options)
        written = []
        for index, part in enumerate(parts):
            path = _node_dir(out, index) / "data.npz"
            np.savez(path, x=table.x[part], y=table.y[part])
            written.append((path, len(part)))
        return written
    raise DataError(f"{source}: data split reads .csv or .npz files")


def _partition(labels: IntArray, options: SplitOptions) -> tuple[IntArray, ...]:
    if options.nodes < 1:
        raise DataError("--nodes must be at least 1")
    if options.partition == "iid":
        return partition_iid(len(labels), options.nodes, options.seed)
    if options.partition == "dirichlet":
        return partition_dirichlet(
            labels, options.nodes, options.alpha, options.seed, options.min_samples
        )
    raise DataError(f"--partition must be iid or dirichlet, got {options.partition!r}")


def _write_csv_parts(
    source: Path, out: Path, parts: tuple[IntArray, ...]
) -> list[tuple[Path, int]]:
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    header, body = rows[0], rows[1:]
    written = []
    for index, part in enumerate(parts):
        path = _node_dir(out, index) / "data.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(body[i] for i in part)
        written.append((path, len(part)))
    return written


def _node_dir(out: Path, index: int) -> Path:
    directory = out / f"node{index}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
