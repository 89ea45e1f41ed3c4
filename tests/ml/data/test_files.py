"""Built-in data loaders: CSV and NPZ files and folders, the node's own validation split and
standardisation, and one clear error for each kind of bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.data.files import load_arrays, load_parts, read_csv
from ml.errors import DataError


def write_csv(path: Path, rows: list[str], header: str = "a,b,label") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def sample_rows(n: int) -> list[str]:
    return [f"{i},{2 * i + 1},{i % 3}" for i in range(n)]


def test_csv_reads_features_and_label_by_name(tmp_path: Path) -> None:
    table = read_csv(write_csv(tmp_path / "d.csv", ["1,2,0", "3.5,4,2"], "a,label,b"), "label")
    assert table.x.tolist() == [[1.0, 0.0], [3.5, 2.0]]
    assert table.y.tolist() == [2, 4]


def test_csv_folder_splits_its_own_validation_and_standardises(tmp_path: Path) -> None:
    folder = tmp_path / "node"
    folder.mkdir()
    write_csv(folder / "part1.csv", sample_rows(30))
    write_csv(folder / "part2.csv", sample_rows(20))
    train, validation = load_parts(folder, {"validation_fraction": 0.2, "num_classes": 3})
    assert (len(train), len(validation)) == (40, 10)
    assert np.allclose(train.x.mean(axis=0), 0.0, atol=1e-5)
    assert np.allclose(train.x.std(axis=0), 1.0, atol=1e-5)
    again = load_parts(folder, {"validation_fraction": 0.2})
    assert again[1].y.tolist() == validation.y.tolist()
    other_seed = load_parts(folder, {"validation_fraction": 0.2, "split_seed": 1})
    assert other_seed[1].x.tolist() != validation.x.tolist()


def test_npz_train_and_validation_files_are_used_as_given(tmp_path: Path) -> None:
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    np.savez(tmp_path / "train.npz", x=x, y=np.arange(10) % 2)
    np.savez(tmp_path / "validation.npz", x=x[:3], y=np.array([0, 1, 0]))
    (train_x, train_y), (val_x, _) = load_arrays(tmp_path, {})
    assert train_x.tolist() == x.tolist()  # NPZ is not standardised unless asked
    assert len(val_x) == 3 and train_y.dtype == np.int64


@pytest.mark.parametrize(
    ("rows", "header", "config", "message"),
    [
        (["1,2,0"], "a,b,target", {}, "no label column 'label'"),
        (["1,2"], "a,b,label", {}, "row 2 has 2 fields"),
        (["1,x,0"], "a,b,label", {}, "column 'b'"),
        (["1,2,0.5"], "a,b,label", {}, "whole numbers"),
        (["1,2,-1"], "a,b,label", {}, "whole numbers"),
        ([], "a,b,label", {}, "no data rows"),
        (sample_rows(20), "a,b,label", {"num_classes": 2}, "outside the task's 2 classes"),
        (sample_rows(20), "a,b,label", {"num_features": 3}, "features"),
        (["1,2,0"], "a,b,label", {}, "too few"),
        (["1,nan,0"], "a,b,label", {}, "not finite"),
    ],
)
def test_bad_csv_data_is_one_clear_error(
    tmp_path: Path, rows: list[str], header: str, config: dict[str, object], message: str
) -> None:
    path = write_csv(tmp_path / "d.csv", rows, header)
    with pytest.raises(DataError, match=message):
        load_parts(path, config)


def test_bad_paths_and_npz_files_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_parts(tmp_path / "missing", {})
    with pytest.raises(DataError, match=r"no \.csv, \.parquet, \.npz or image folder"):
        load_parts(tmp_path, {})
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty file"):
        load_parts(tmp_path / "empty.csv", {})
    np.savez(tmp_path / "bad.npz", a=np.zeros(3))
    with pytest.raises(DataError, match="named x and y"):
        load_parts(tmp_path / "bad.npz", {})
    (tmp_path / "mixed").mkdir()
    write_csv(tmp_path / "mixed" / "a.csv", sample_rows(5))
    np.savez(tmp_path / "mixed" / "b.npz", x=np.zeros((3, 2)), y=np.zeros(3))
    with pytest.raises(DataError, match="mixes"):
        load_parts(tmp_path / "mixed", {})
