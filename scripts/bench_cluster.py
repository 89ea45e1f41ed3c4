"""Cluster benchmark: time to 95% accuracy on a real 4-validator testnet against a bare
in-process FedAvg loop with the same model, data, partition and local training, plus finality
latency (proposal received to block final) at 4 and 21 validators. Writes JSON.

    .venv/bin/python scripts/bench_cluster.py --out reports/bench_cluster.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ml.aggregation.round import aggregate_round
from ml.aggregation.spec import spec_from_task
from ml.codec.delta import CodecConfig, encode_delta
from ml.data.datasets import load_digits_split
from ml.data.partition import ShardSpec, compute_shard
from ml.models import get_model_spec, init_weights
from ml.training.config import TrainConfig
from ml.training.local import configure_determinism, evaluate, train_local
from node.learning.settings import TrainingConfig
from node.learning.trainer import compute_job_seed
from node.ops.cluster_report import find_reached_version, get_models
from node.ops.launcher import Cluster
from node.ops.testnet import TestnetOptions, build_task, create_testnet
from node.sim.preset import load_preset

TARGET = 0.95


def run_baseline(options: TestnetOptions, max_rounds: int = 200) -> dict[str, Any]:
    """The same federation without chain, network or processes: one loop in this process."""
    configure_determinism()
    task, _ = build_task(options)
    spec = spec_from_task(task.model_id, task.aggregation, task.clip_norm, task.min_deltas)
    model = get_model_spec(task.model_id)
    data = load_digits_split()
    shards = [
        compute_shard(data.train, ShardSpec("iid", options.validators, i, 0, options.alpha))
        for i in range(options.validators)
    ]
    config = TrainConfig(options.local_epochs, options.batch_size, options.learning_rate)
    weights = init_weights(task.model_id, options.task.init_seed)
    started = time.perf_counter()
    for version in range(max_rounds):
        entries = []
        for index, shard in enumerate(shards):
            seed = compute_job_seed(
                TrainingConfig(shard_index=index, num_shards=options.validators), version
            )
            delta = train_local(
                task.model_id, weights, shard, config, seed=seed, model_version=version
            ).delta
            payload = encode_delta(delta, model.model_id, model.shapes, CodecConfig())
            entries.append((bytes([index]) * 32, payload, len(shard)))
        weights = aggregate_round(spec, weights, entries).new_weights
        accuracy = evaluate(task.model_id, weights, data.test).accuracy
        if accuracy >= TARGET:
            return {"seconds": time.perf_counter() - started, "versions": version + 1}
    return {"seconds": None, "versions": None}


def run_cluster(
    options: TestnetOptions, workdir: Path, seconds: float, stop_at_target: bool
) -> dict[str, Any]:
    manifest = create_testnet(workdir / f"net{options.validators}", options)
    cluster = Cluster.from_manifest(manifest)
    started = time.monotonic()
    reached, elapsed = None, None
    try:
        cluster.start_all()
        cluster.wait_until_serving(120.0)
        serving = time.monotonic()
        while time.monotonic() - serving < seconds:
            time.sleep(0.5)
            if stop_at_target:
                reached = find_reached_version(get_models(cluster.nodes[0]), TARGET)
                if reached is not None:
                    elapsed = time.monotonic() - started
                    break
        statuses = [n.get("/status") or {} for n in cluster.nodes]
    finally:
        cluster.stop_all()
    p50s = [s["finality_p50_ms"] for s in statuses if s.get("finality_p50_ms") is not None]
    p99s = [s["finality_p99_ms"] for s in statuses if s.get("finality_p99_ms") is not None]
    return {
        "validators": options.validators,
        "seconds_to_target": elapsed,
        "reached_version": reached,
        "heights": [s.get("height") for s in statuses],
        "finality_p50_ms": statistics.median(p50s) if p50s else None,
        "finality_p99_ms": statistics.median(p99s) if p99s else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/bench_cluster.json"))
    parser.add_argument("--big", type=int, default=21, help="validators of the finality-only run")
    parser.add_argument("--big-seconds", type=float, default=90.0)
    args = parser.parse_args()
    small = TestnetOptions(validators=4, local_epochs=2, p2p_base_port=27_400, api_base_port=8_900)
    big = TestnetOptions(
        validators=args.big,
        training=False,
        p2p_base_port=27_500,
        api_base_port=9_000,
        params=load_preset("testnet"),
    )
    baseline = run_baseline(small)
    with tempfile.TemporaryDirectory() as tmp:
        cluster4 = run_cluster(small, Path(tmp), 600.0, stop_at_target=True)
        cluster_big = run_cluster(big, Path(tmp), args.big_seconds, stop_at_target=False)
    ratio = None
    if baseline["seconds"] and cluster4["seconds_to_target"]:
        ratio = cluster4["seconds_to_target"] / baseline["seconds"]
    result = {
        "target_accuracy": TARGET,
        "baseline_in_process": baseline,
        "cluster_4": cluster4,
        f"cluster_{args.big}_consensus_only": cluster_big,
        "time_to_target_ratio": ratio,
        "targets": {"ratio": 1.25, "finality_p50_ms_4": 250, f"finality_p50_ms_{args.big}": 1000},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
