"""``data split``: one source file cut into N physically separate per-node folders.

IID (a seeded permutation cut into near-equal parts) or Dirichlet(alpha) label skew, the same
partitions as ``ml.data.partition``. A CSV keeps its header and rows as written; an NPZ or
Parquet file keeps its arrays or columns; an image folder's files are copied into the same
``class_name/`` folders; an MNIST (IDX) folder's training set is cut into per-node IDX files
and every node gets the t10k set as its validation part. Node i's part goes to
``<out>/node<i>/data.csv`` (``data.npz``, ``data.parquet``, class folders or IDX files).
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.data.files import read_csv, read_npz
from ml.data.idx import PARTS, find_idx, is_idx_folder, read_idx, write_idx
from ml.data.images import is_image_folder, list_class_folders, list_images
from ml.data.parquet import read_parquet, read_parquet_table
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
    if source.suffix == ".parquet":
        return _split_parquet(source, out, options)
    if is_idx_folder(source):
        return _split_idx(source, out, options)
    if is_image_folder(source):
        return _split_images(source, out, options)
    raise DataError(f"{source}: data split reads .csv, .parquet, .npz, image or IDX folders")


def _split_parquet(source: Path, out: Path, options: SplitOptions) -> list[tuple[Path, int]]:
    import pyarrow.parquet as pq

    parts = _partition(read_parquet(source, options.label).y, options)
    table = read_parquet_table(source)
    written = []
    for index, part in enumerate(parts):
        path = _node_dir(out, index) / "data.parquet"
        pq.write_table(table.take(part), path)
        written.append((path, len(part)))
    return written


def _split_images(source: Path, out: Path, options: SplitOptions) -> list[tuple[Path, int]]:
    files = [(d.name, f) for d in list_class_folders(source) for f in list_images(d)]
    if not files:
        raise DataError(f"{source}: empty image folder (expected class_name/*.png|jpg)")
    names = sorted({name for name, _ in files})
    labels = np.asarray([names.index(name) for name, _ in files], dtype=np.int64)
    written = []
    for index, part in enumerate(_partition(labels, options)):
        node = _node_dir(out, index)
        for i in part:
            name, file = files[int(i)]
            (node / name).mkdir(exist_ok=True)
            shutil.copyfile(file, node / name / file.name)
        written.append((node, len(part)))
    return written


def _split_idx(source: Path, out: Path, options: SplitOptions) -> list[tuple[Path, int]]:
    images_name, labels_name = PARTS["train"]
    images_path, labels_path = find_idx(source, images_name), find_idx(source, labels_name)
    if images_path is None or labels_path is None:
        raise DataError(f"{source}: an IDX folder needs {images_name} and {labels_name}")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if len(images) != len(labels):
        raise DataError(f"{source}: {len(images)} images but {len(labels)} labels")
    validation = [find_idx(source, name) for name in PARTS["validation"]]
    written = []
    for index, part in enumerate(_partition(labels.astype(np.int64), options)):
        node = _node_dir(out, index)
        write_idx(node / images_name, images[part])
        write_idx(node / labels_name, labels[part])
        for path, name in zip(validation, PARTS["validation"], strict=True):
            if path is not None:
                (node / name).write_bytes(read_idx_bytes(path))
        written.append((node, len(part)))
    return written


def read_idx_bytes(path: Path) -> bytes:
    """An IDX file's bytes, uncompressed."""
    import gzip

    return gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()


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
