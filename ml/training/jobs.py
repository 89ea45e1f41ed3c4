"""Messages between the node and its training worker (plain data, no torch)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ml.apps.manifest import ConfigValue
from ml.data.datasets import Dataset
from ml.layout import Layout
from ml.training.config import Metrics, TrainConfig
from ml.types import Float32Array


@dataclass(frozen=True, eq=False)
class TrainingJob:
    """Train `config.epochs` epochs from global model `model_version` on the node's shard."""

    job_id: int
    model_id: str
    model_version: int
    weights: Float32Array
    shard: Dataset
    config: TrainConfig
    seed: int
    validation: Dataset | None = None
    """The node's validation data: the base version is measured on it before training."""


@dataclass(frozen=True, eq=False)
class TrainingDone:
    """A finished job: the delta against the given weights, sample count, local metrics, and
    the given weights' (the base version's) validation metrics when the job measured them."""

    job_id: int
    model_version: int
    delta: Float32Array
    num_samples: int
    metrics: Metrics
    base_metrics: Metrics | None = None


@dataclass(frozen=True, eq=False)
class EvaluationJob:
    """Measure `weights` (model version `model_version`) on `dataset`, e.g. the test split."""

    job_id: int
    model_id: str
    model_version: int
    weights: Float32Array
    dataset: Dataset


@dataclass(frozen=True)
class EvaluationDone:
    """Loss and accuracy of the evaluated weights."""

    job_id: int
    model_version: int
    metrics: Metrics


@dataclass(frozen=True)
class TrainingFailed:
    """A job that produced no delta. crashed: the worker process died (it must be restarted);
    otherwise training raised and the worker is still usable. job_id is None when the worker
    died while idle."""

    job_id: int | None
    reason: str
    crashed: bool


@dataclass(frozen=True, eq=False)
class AppRef:
    """A task's learning app on this node: the bundle (checked against ``app_hash`` before it
    is imported), the task's layout and config, the node's own data path and a folder for the
    unpacked code."""

    task_id: int
    app_hash: bytes
    bundle: bytes
    layout: Layout
    config: Mapping[str, ConfigValue]
    data_path: str
    cache_dir: str


@dataclass(frozen=True, eq=False)
class AppTrainingJob:
    """Train task ``app.task_id``'s model version ``model_version`` on the node's data."""

    job_id: int
    app: AppRef
    model_version: int
    weights: Float32Array
    seed: int


@dataclass(frozen=True, eq=False)
class AppEvaluationJob:
    """Measure a version of an app task's model on the node's own validation part."""

    job_id: int
    app: AppRef
    model_version: int
    weights: Float32Array


TrainingOutcome = TrainingDone | EvaluationDone | TrainingFailed
WorkerJob = TrainingJob | EvaluationJob | AppTrainingJob | AppEvaluationJob
