"""``data split``: N separate per-node files that together hold the source exactly once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.data.files import read_csv, read_npz
from ml.data.split_files import SplitOptions, split_data
from ml.errors import DataError


def source_csv(path: Path, n: int = 90) -> Path:
    rows = [f"{i},{i * 0.5},{i % 3}" for i in range(n)]
    path.write_text("f0,f1,label\n" + "\n".join(rows) + "\n")
    return path


def test_split_csv_iid_writes_disjoint_complete_parts(tmp_path: Path) -> None:
    written = split_data(source_csv(tmp_path / "all.csv"), tmp_path / "out", SplitOptions(3))
    assert [p.relative_to(tmp_path / "out").as_posix() for p, _ in written] == [
        "node0/data.csv",
        "node1/data.csv",
        "node2/data.csv",
    ]
    firsts = [read_csv(p, "label").x[:, 0] for p, _ in written]
    assert sorted(np.concatenate(firsts).tolist()) == list(range(90))
    assert [n for _, n in written] == [30, 30, 30]
    assert (tmp_path / "out" / "node0" / "data.csv").read_text().startswith("f0,f1,label\n")


def test_split_is_seeded(tmp_path: Path) -> None:
    src = source_csv(tmp_path / "all.csv")
    a = split_data(src, tmp_path / "a", SplitOptions(3, seed=4))
    b = split_data(src, tmp_path / "b", SplitOptions(3, seed=4))
    c = split_data(src, tmp_path / "c", SplitOptions(3, seed=5))
    assert a[0][0].read_text() == b[0][0].read_text() != c[0][0].read_text()


def test_split_npz_dirichlet_skews_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "all.npz", x=rng.standard_normal((600, 4)), y=np.arange(600) % 4)
    options = SplitOptions(4, partition="dirichlet", alpha=0.2, seed=1)
    written = split_data(tmp_path / "all.npz", tmp_path / "out", options)
    parts = [read_npz(p) for p, _ in written]
    assert sum(len(p) for p in parts) == 600
    shares = [np.bincount(p.y, minlength=4) / len(p) for p in parts]
    assert max(float(s.max()) for s in shares) > 0.5  # skewed, unlike an IID split


def test_split_refuses_bad_arguments(tmp_path: Path) -> None:
    src = source_csv(tmp_path / "all.csv")
    with pytest.raises(DataError, match="iid or dirichlet"):
        split_data(src, tmp_path / "x", SplitOptions(2, partition="zipf"))
    with pytest.raises(DataError, match="cannot split"):
        split_data(src, tmp_path / "y", SplitOptions(100))
    with pytest.raises(DataError, match=r"reads \.csv, \.parquet, \.npz, image or IDX folders"):
        split_data(tmp_path / "all.txt", tmp_path / "z", SplitOptions(2))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(DataError, match="not empty"):
        split_data(src, tmp_path / "full", SplitOptions(2))
