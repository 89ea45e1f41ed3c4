"""Parquet files, image folders and MNIST's IDX files: loaded as arrays, split per node, and
each kind of bad data one clear DataError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from ml.data.files import load_parts
from ml.data.idx import read_idx, write_idx
from ml.data.split_files import SplitOptions, split_data
from ml.errors import DataError


def write_parquet(path: Path, extra: dict[str, pa.Array] | None = None, rows: int = 40) -> Path:
    rng = np.random.default_rng(0)
    columns = {"a": rng.normal(size=rows), "b": np.arange(rows), "label": np.arange(rows) % 3}
    pq.write_table(pa.table({**columns, **(extra or {})}), path)
    return path


def write_images(root: Path, classes: dict[str, int], size: int = 8, mode: str = "L") -> Path:
    rng = np.random.default_rng(1)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            shape = (size, size) if mode == "L" else (size, size, 3)
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels, mode).save(root / name / f"{i:03d}.png")
    return root


def write_mnist_like(root: Path, train: int = 50, test: int = 10) -> Path:
    root.mkdir()
    rng = np.random.default_rng(2)
    for prefix, count in (("train", train), ("t10k", test)):
        write_idx(
            root / f"{prefix}-images-idx3-ubyte",
            rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
        )
        labels = (np.arange(count) % 10).astype(np.uint8)
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_parquet_reads_features_and_label_by_name(tmp_path: Path) -> None:
    write_parquet(tmp_path / "data.parquet")
    train, validation = load_parts(tmp_path, {"num_classes": 3})
    assert (len(train), len(validation)) == (32, 8) and train.x.shape == (32, 2)
    assert abs(float(train.x.mean())) < 1e-5  # standardised like CSV


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (None, "no label column 'label'"),
        ({"c": pa.array([[1.0]] * 40)}, "column 'c' holds list"),
        ({"c": pa.array([1.0] * 39 + [None])}, "column 'c' has 1 empty values"),
    ],
)
def test_bad_parquet_is_one_clear_error(
    tmp_path: Path, extra: dict[str, pa.Array] | None, match: str
) -> None:
    path = tmp_path / "data.parquet"
    if extra is None:
        pq.write_table(pa.table({"a": [1.0, 2.0]}), path)
    else:
        write_parquet(path, extra)
    with pytest.raises(DataError, match=match):
        load_parts(path, {})


def test_parquet_labels_outside_the_classes_are_refused(tmp_path: Path) -> None:
    write_parquet(tmp_path / "data.parquet")
    with pytest.raises(DataError, match="label 2 is outside the task's 2 classes"):
        load_parts(tmp_path, {"num_classes": 2})


def test_image_folder_loads_classes_in_name_order(tmp_path: Path) -> None:
    root = write_images(tmp_path / "img", {"cat": 5, "dog": 5}, size=10)
    train, validation = load_parts(root, {"image_size": 8, "channels": 1})
    assert train.x.shape == (8, 1, 8, 8) and len(validation) == 2  # resized from 10 x 10
    assert set(np.concatenate([train.y, validation.y])) == {0, 1}
    assert float(train.x.min()) >= 0.0 and float(train.x.max()) <= 1.0


def test_image_folder_with_train_and_validation_and_rgb(tmp_path: Path) -> None:
    write_images(tmp_path / "img" / "train", {"a": 3, "b": 3}, mode="RGB")
    write_images(tmp_path / "img" / "validation", {"a": 1, "b": 1}, mode="RGB")
    train, validation = load_parts(tmp_path / "img", {"image_size": 8, "channels": 3})
    assert train.x.shape == (6, 3, 8, 8) and validation.x.shape == (2, 3, 8, 8)


def test_bad_image_folders_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty" / "cat").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no \.png or \.jpg images in this class folder"):
        load_parts(tmp_path / "empty", {})
    root = write_images(tmp_path / "img", {"cat": 2, "dog": 2})
    with pytest.raises(DataError, match="class 'dog' is not one of"):
        load_parts(root, {"classes": "cat,bird", "image_size": 8})
    with pytest.raises(DataError, match="label 1 is outside the task's 1 classes"):
        load_parts(root, {"num_classes": 1, "image_size": 8})
    (root / "cat" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"broken\.png: not a readable image"):
        load_parts(root, {"image_size": 8})


def test_idx_round_trip_and_mnist_folder(tmp_path: Path) -> None:
    root = write_mnist_like(tmp_path / "mnist")
    assert read_idx(root / "t10k-labels-idx1-ubyte").tolist() == list(range(10))
    train, validation = load_parts(root, {"num_classes": 10})
    assert train.x.shape == (50, 1, 28, 28) and len(validation) == 10


def test_bad_idx_is_one_clear_error(tmp_path: Path) -> None:
    root = write_mnist_like(tmp_path / "mnist")
    data = (root / "train-labels-idx1-ubyte").read_bytes()
    (root / "train-labels-idx1-ubyte").write_bytes(data[:-3])
    with pytest.raises(DataError, match="bytes of values where the header says"):
        load_parts(root, {})
    (root / "train-labels-idx1-ubyte").write_bytes(b"\x01\x02" + data[2:])
    with pytest.raises(DataError, match="not an IDX file"):
        load_parts(root, {})


def test_split_parquet_images_and_idx(tmp_path: Path) -> None:
    options = SplitOptions(nodes=3)
    parquet = split_data(write_parquet(tmp_path / "d.parquet"), tmp_path / "p", options)
    assert sum(n for _, n in parquet) == 40 and parquet[0][0].name == "data.parquet"
    images = write_images(tmp_path / "img", {"cat": 6, "dog": 6})
    split = split_data(images, tmp_path / "i", options)
    assert sum(n for _, n in split) == 12
    assert len(load_parts(tmp_path / "i" / "node0", {"image_size": 8})[0]) >= 2
    mnist = split_data(write_mnist_like(tmp_path / "m"), tmp_path / "ms", options)
    assert sum(n for _, n in mnist) == 50
    train, validation = load_parts(tmp_path / "ms" / "node1", {})
    assert len(train) == mnist[1][1] and len(validation) == 10
