"""Apps in the training process: digits-mlp reproduces mlp-digits bit for bit; user apps with
arrays or Datasets, their own train/evaluate, and each way an app can be wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from ml.apps.builtins import get_builtin_app_dir
from ml.apps.bundle import write_bundle
from ml.apps.source import build_app_bundle
from ml.data.datasets import load_digits_split
from ml.data.partition import ShardSpec, compute_shard
from ml.errors import AppError, DataError, LayoutError
from ml.models import get_model_spec, init_weights
from ml.training.app_data import make_app_data
from ml.training.app_loader import load_app
from ml.training.app_local import evaluate_app, train_app
from ml.training.app_probe import probe_app
from ml.training.config import TrainConfig
from ml.training.local import configure_determinism, evaluate, train_local

DIGITS = load_digits_split()
SHARD = compute_shard(DIGITS.train, ShardSpec("iid", 4, 1, seed=0))


@pytest.fixture(autouse=True)
def _deterministic_torch() -> None:
    configure_determinism()


def digits_folder(root: Path) -> Path:
    root.mkdir()
    np.savez(root / "train.npz", x=SHARD.x, y=SHARD.y)
    np.savez(root / "validation.npz", x=DIGITS.test.x, y=DIGITS.test.y)
    return root


def test_digits_mlp_app_is_mlp_digits_bit_for_bit(tmp_path: Path) -> None:
    bundle, _ = build_app_bundle(get_builtin_app_dir("digits-mlp"))
    probe = probe_app(bundle, {})
    assert probe.layout.entries == get_model_spec("mlp-digits").layout.entries
    assert probe.weights.tobytes() == init_weights("mlp-digits", 0).tobytes()
    app = load_app(bundle, tmp_path / "cache")
    config = {**probe.config, "local_epochs": 2, "lr": 0.05}
    data = make_app_data(app.load_data(str(digits_folder(tmp_path / "d")), config))
    weights = init_weights("mlp-digits", 3)
    update = train_app(app, probe.layout, weights, data, config, seed=8, model_version=4)
    legacy = train_local(
        "mlp-digits", weights, SHARD, TrainConfig(2, 32, 0.05), seed=8, model_version=4
    )
    assert update.delta.tobytes() == legacy.delta.tobytes()
    assert update.num_samples == len(SHARD)
    got = evaluate_app(app, probe.layout, weights, data.validation, config)
    assert got.accuracy == evaluate("mlp-digits", weights, DIGITS.test).accuracy
    assert update.base_metrics == got  # the base version, measured before training
    assert got.samples == len(DIGITS.test)


DATASET_APP = """
    import numpy as np
    import torch
    from torch import nn
    from torch.utils.data import Dataset
    from .helpers import WIDTH

    class Points(Dataset):
        def __init__(self, n, seed):
            rng = np.random.default_rng(seed)
            self.y = rng.integers(0, 2, n)
            self.x = (rng.standard_normal((n, WIDTH)) + 2.0 * self.y[:, None]).astype(np.float32)
        def __len__(self):
            return len(self.y)
        def __getitem__(self, i):
            return torch.from_numpy(self.x[i]), int(self.y[i])

    def build_model(config):
        return nn.Sequential(nn.Linear(WIDTH, 2), nn.BatchNorm1d(2))

    def load_data(path, config):
        return Points(200, 1), Points(50, 2)

    def evaluate(model, data, config):
        return {"loss": 0.5, "accuracy": 0.75}
"""


def test_app_with_datasets_relative_imports_and_own_evaluate(tmp_path: Path) -> None:
    bundle_files = {
        "app.toml": b'name = "ds"\nversion = "1"\nentry = "app.py"\n[config]\nlr = 0.1\n',
        "app.py": textwrap.dedent(DATASET_APP).encode(),
        "helpers.py": b"WIDTH = 3\n",
    }
    bundle = write_bundle(bundle_files)
    probe = probe_app(bundle, {})
    # batch-norm statistics are float state in the layout; its integer counter is not
    assert "1.running_mean" in probe.layout.names
    assert "1.num_batches_tracked" not in probe.layout.names
    app = load_app(bundle, tmp_path / "cache")
    data = make_app_data(app.load_data("", probe.config))
    update = train_app(
        app, probe.layout, probe.weights, data, probe.config, seed=1, model_version=0
    )
    assert update.num_samples == 200
    assert np.abs(update.delta).sum() > 0
    assert (update.metrics.loss, update.metrics.accuracy) == (0.5, 0.75)


def test_app_model_that_does_not_fit_the_layout_is_refused(tmp_path: Path) -> None:
    bundle = write_bundle(
        {
            "app.toml": b'name = "x"\nversion = "1"\nentry = "app.py"\n[config]\nw = 3\n',
            "app.py": b"from torch import nn\n"
            b"def build_model(c):\n    return nn.Linear(c['w'], 2)\n"
            b"def load_data(p, c):\n    return None\n",
        }
    )
    probe = probe_app(bundle, {})
    wider = probe_app(bundle, {"w": 4})
    app = load_app(bundle, tmp_path / "cache")
    data = make_app_data((([[0.0] * 4], [0]), ([[0.0] * 4], [1])))
    with pytest.raises(LayoutError, match="does not match the task's layout"):
        train_app(app, probe.layout, probe.weights, data, wider.config, seed=0, model_version=0)


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("raise RuntimeError('boom')\n", AppError, "boom"),
        ("def load_data(p, c): ...\n", AppError, "build_model"),
        ("def build_model(c):\n    return 3\ndef load_data(p, c): ...\n", AppError, "nn.Module"),
    ],
)
def test_broken_apps_fail_with_one_clear_error(
    tmp_path: Path, code: str, error: type[Exception], message: str
) -> None:
    bundle = write_bundle(
        {"app.toml": b'name = "b"\nversion = "1"\nentry = "app.py"\n', "app.py": code.encode()}
    )
    with pytest.raises(error, match=message):
        probe_app(bundle, {})


def test_bad_data_shapes_are_one_clear_error() -> None:
    with pytest.raises(DataError, match="train, validation"):
        make_app_data(([1, 2],))
    with pytest.raises(DataError, match="pair up"):
        make_app_data((([[1.0], [2.0]], [0]), ([[1.0]], [0])))
    with pytest.raises(DataError, match="empty"):
        make_app_data(((np.zeros((0, 2)), np.zeros(0)),) * 2)
    with pytest.raises(DataError, match="integers"):
        make_app_data(((np.zeros((2, 2)), np.array(["a", "b"])),) * 2)


def test_load_app_checks_the_expected_hash(tmp_path: Path) -> None:
    bundle, _ = build_app_bundle(get_builtin_app_dir("tabular-mlp"))
    with pytest.raises(AppError, match="hashes to"):
        load_app(bundle, tmp_path, expected_hash=bytes(32))
