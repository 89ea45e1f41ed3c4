"""The training worker's side of app jobs: import the approved app once, load the node's data
once per (app, path, config), then train or evaluate. Runs only in the worker process."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ml.apps.manifest import merge_config
from ml.errors import AppError, DataError
from ml.training.app_data import AppData, make_app_data
from ml.training.app_loader import LoadedApp, load_app
from ml.training.app_local import evaluate_app, train_app
from ml.training.jobs import (
    AppEvaluationJob,
    AppRef,
    AppTrainingJob,
    EvaluationDone,
    TrainingDone,
    TrainingFailed,
    TrainingOutcome,
)

MAX_CACHED_DATA = 8
_DATA: dict[tuple[bytes, str, tuple[tuple[str, object], ...]], AppData] = {}


def run_app_job(job: AppTrainingJob | AppEvaluationJob) -> TrainingOutcome:
    """Run one app job; anything the app or its data raises becomes a TrainingFailed."""
    try:
        app = load_app(job.app.bundle, Path(job.app.cache_dir), job.app.app_hash)
        config = merge_config(app.manifest.config, job.app.config)
        data = _load_data(app, job.app, config)
        if isinstance(job, AppEvaluationJob):
            metrics = evaluate_app(app, job.app.layout, job.weights, data.validation, config)
            return EvaluationDone(job.job_id, job.model_version, metrics)
        update = train_app(
            app,
            job.app.layout,
            job.weights,
            data,
            config,
            seed=job.seed,
            model_version=job.model_version,
        )
    except Exception as exc:  # reported to the node, which keeps following the chain
        return TrainingFailed(job.job_id, f"{type(exc).__name__}: {exc}", crashed=False)
    return TrainingDone(
        job.job_id,
        job.model_version,
        update.delta,
        update.num_samples,
        update.metrics,
        update.base_metrics,
    )


def _load_data(app: LoadedApp, ref: AppRef, config: Mapping[str, object]) -> AppData:
    key = (ref.app_hash, ref.data_path, tuple(sorted(config.items())))
    cached = _DATA.get(key)
    if cached is not None:
        return cached
    if not ref.data_path:
        raise DataError(f"task {ref.task_id} has no data path on this node")
    try:
        loaded = app.load_data(ref.data_path, dict(config))
    except (DataError, AppError):
        raise
    except Exception as exc:  # the app's own loader
        raise DataError(f"load_data raised {type(exc).__name__}: {exc}") from exc
    data = make_app_data(loaded)
    if len(_DATA) >= MAX_CACHED_DATA:
        _DATA.pop(next(iter(_DATA)))
    _DATA[key] = data
    return data
