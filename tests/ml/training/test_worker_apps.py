"""App jobs in the spawned worker: the same delta as in-process; bad data or a bad app is a
TrainingFailed and the worker stays usable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ml.apps.builtins import get_builtin_app_dir
from ml.apps.source import build_app_bundle
from ml.data.datasets import make_synthetic
from ml.training.app_data import make_app_data
from ml.training.app_loader import load_app
from ml.training.app_local import train_app
from ml.training.app_probe import probe_app
from ml.training.jobs import (
    AppEvaluationJob,
    AppRef,
    AppTrainingJob,
    EvaluationDone,
    TrainingDone,
    TrainingFailed,
)
from ml.training.local import configure_determinism
from ml.training.worker import TrainingWorker

pytestmark = pytest.mark.multiprocess
CONFIG = {"num_features": 5, "num_classes": 3}


@pytest.fixture(scope="module")
def worker() -> Iterator[TrainingWorker]:
    handle = TrainingWorker()
    handle.start()
    yield handle
    handle.close()


def make_ref(tmp_path: Path, data_path: str) -> AppRef:
    bundle, built = build_app_bundle(get_builtin_app_dir("tabular-mlp"))
    layout = probe_app(bundle, CONFIG).layout
    return AppRef(1, built.app_hash, bundle, layout, CONFIG, data_path, str(tmp_path / "apps"))


def write_data(path: Path) -> Path:
    data = make_synthetic(120, seed=3, num_features=5, num_classes=3, separation=2.0)
    path.mkdir()
    np.savez(path / "data.npz", x=data.x, y=data.y)
    return path


def test_worker_trains_an_app_like_in_process(worker: TrainingWorker, tmp_path: Path) -> None:
    ref = make_ref(tmp_path, str(write_data(tmp_path / "d")))
    probe = probe_app(ref.bundle, CONFIG, init_seed=2)
    worker.submit(AppTrainingJob(1, ref, 3, probe.weights, seed=9))
    outcome = worker.wait_result(120)
    assert isinstance(outcome, TrainingDone), outcome
    configure_determinism()
    app = load_app(ref.bundle, tmp_path / "local")
    data = make_app_data(app.load_data(ref.data_path, probe.config))
    local = train_app(app, ref.layout, probe.weights, data, probe.config, seed=9, model_version=3)
    assert outcome.delta.tobytes() == local.delta.tobytes()
    assert outcome.num_samples == 96  # 20% held back for validation
    worker.submit(AppEvaluationJob(2, ref, 3, probe.weights))
    evaluated = worker.wait_result(60)
    assert isinstance(evaluated, EvaluationDone) and 0.0 <= evaluated.metrics.accuracy <= 1.0


def test_worker_reports_bad_data_and_keeps_serving(worker: TrainingWorker, tmp_path: Path) -> None:
    ref = make_ref(tmp_path, str(tmp_path / "missing"))
    weights = probe_app(ref.bundle, CONFIG).weights
    worker.submit(AppTrainingJob(5, ref, 0, weights, seed=1))
    failed = worker.wait_result(60)
    assert isinstance(failed, TrainingFailed) and not failed.crashed
    assert "does not exist" in failed.reason
    wrong = AppRef(1, bytes(32), ref.bundle, ref.layout, CONFIG, ref.data_path, ref.cache_dir)
    worker.submit(AppTrainingJob(6, wrong, 0, weights, seed=1))
    refused = worker.wait_result(60)
    assert isinstance(refused, TrainingFailed) and "hashes to" in refused.reason
