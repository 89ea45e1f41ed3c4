"""The bare in-process federation of a testnet's app task, for ``scripts/bench_cluster.py``.

Everything comes from the testnet's own files, as the nodes read them: the genesis task (its
layout, config and aggregation rule), the app bundle and initial weights from node 0's blob
store, and each node's joined data path from its ``config.toml``. Each version, every node
that joined trains through ``run_app_job`` (the training worker's own function: the app
imported from its bundle, ``load_data`` on the node's data, the app's or the default
training) with the seed the node's trainer would give that job; the deltas are encoded with
the default codec and combined by ``aggregate_round``, and node 0's own evaluation job
measures the new version, as node 0 does for the cluster's accuracy. No chain, network or
processes: the time to target here is what the cluster's is compared against.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.aggregation.round import DeltaEntry, aggregate_round
from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import CodecConfig, encode_delta
from ml.snapshot import decode_weights
from ml.training.app_jobs import run_app_job
from ml.training.jobs import AppEvaluationJob, AppRef, AppTrainingJob, EvaluationDone, TrainingDone
from ml.types import Float32Array
from node.chain.task_model import compute_task_rule, get_task_layout
from node.errors import ConfigError
from node.learning.app_tasks import compute_app_seed
from node.learning.joins import resolve_data_path
from node.ops.config import load_config
from node.ops.genesis_file import load_genesis
from node.storage.blobs import BlobStore

TASK_ID = 1
"""The genesis task, the one ``testnet create --app`` opens and joins every node to."""


@dataclass(frozen=True)
class BaselineNode:
    """A node that joined the task: its address (for its job seeds) and its app reference."""

    address: bytes
    ref: AppRef


@dataclass(frozen=True)
class AppBaseline:
    """The task's rule, initial weights and the nodes that train it."""

    nodes: tuple[BaselineNode, ...]
    weights: Float32Array
    rule: AggregationSpec
    shapes: tuple[tuple[int, ...], ...]
    layout_id: str


def load_app_baseline(manifest: dict[str, Any], cache_dir: Path) -> AppBaseline:
    """Read the genesis app task and every joined node's data path from the testnet's homes."""
    entries: Sequence[dict[str, Any]] = manifest["nodes"]
    first = Path(entries[0]["home"])
    genesis = load_genesis(first / "genesis.cbor")
    task = next((t.spec for t in genesis.tasks), None)
    if task is None or task.app is None:
        raise ConfigError("the testnet's genesis task runs no learning app")
    blobs = BlobStore(first / "data" / "blobs")
    bundle, snapshot = blobs.get(task.app.app_hash), blobs.get(task.initial_model_hash)
    if bundle is None or snapshot is None:
        raise ConfigError(f"{first} holds no app bundle or initial weights for the task")
    layout = get_task_layout(task)
    nodes = []
    for entry in entries:
        home = Path(entry["home"])
        joined = next((j for j in load_config(home).tasks if j.task_id == TASK_ID), None)
        if joined is None or joined.app_hash != task.app.app_hash:
            continue  # this node follows the chain without training the task
        data = resolve_data_path(home, joined)
        config = dict(task.app.config)
        ref = AppRef(TASK_ID, task.app.app_hash, bundle, layout, config, data, str(cache_dir))
        nodes.append(BaselineNode(bytes.fromhex(entry["address"]), ref))
    if not nodes:
        raise ConfigError("no node of the testnet joined its genesis task")
    rule = compute_task_rule(task)
    return AppBaseline(tuple(nodes), decode_weights(snapshot), rule, layout.shapes, layout.model_id)


def run_app_baseline(
    baseline: AppBaseline, target: float, max_versions: int = 200
) -> dict[str, Any]:
    """Train version after version until node 0's measurement reaches ``target``: the
    seconds (from the first job, app import and data loading included, as the cluster's
    learning clock) and versions it took, or None for both."""
    weights = baseline.weights
    started = time.perf_counter()
    for version in range(max_versions):
        entries: list[DeltaEntry] = []
        for index, node in enumerate(baseline.nodes):
            seed = compute_app_seed(node.address, TASK_ID, version)
            done = _expect(run_app_job(AppTrainingJob(index, node.ref, version, weights, seed)))
            if not isinstance(done, TrainingDone):
                raise ConfigError(f"node {index}'s job for version {version} measured nothing")
            payload = encode_delta(done.delta, baseline.layout_id, baseline.shapes, CodecConfig())
            entries.append((bytes([index]) * 32, payload, done.num_samples))
        weights = aggregate_round(baseline.rule, weights, entries).new_weights
        measured = _expect(
            run_app_job(AppEvaluationJob(0, baseline.nodes[0].ref, version + 1, weights))
        )
        if isinstance(measured, EvaluationDone) and measured.metrics.accuracy >= target:
            return {"seconds": time.perf_counter() - started, "versions": version + 1}
    return {"seconds": None, "versions": None}


def _expect(outcome: object) -> TrainingDone | EvaluationDone:
    if isinstance(outcome, TrainingDone | EvaluationDone):
        return outcome
    raise ConfigError(f"the app's job failed: {getattr(outcome, 'reason', outcome)}")
