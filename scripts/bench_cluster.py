"""Cluster benchmark: time to 95% accuracy on a real testnet against a bare in-process FedAvg
loop with the same model, data, partition and local training, in one run; the per-version span
breakdown (train, encode, submit to included, included to final, final to derived, derived to
worker) read from the nodes' ``/metrics``; finality latency at 4 and 21 validators. Writes JSON.

Two clocks for the cluster: ``seconds_to_target`` from the moment the node processes are
started (process start, torch import, peers connecting included), and ``learning_seconds`` from
the moment the first training job reached a worker, which is what the bare loop's clock
measures (it too starts with data loaded and torch imported). The ratio uses the second.

``--app NAME`` (a built-in app, an app directory or a bundle; default: the catalog model
mlp-digits) makes the app the testnet's genesis task, as ``testnet create --app`` does: every
node joins it, on its digits shard (digits-mlp) or on its ``--data`` path (once per node, in
order). The testnet is written first; the bare loop then reads the task, the bundle and each
node's data path from the nodes' homes and trains through the training worker's own
``run_app_job`` with the nodes' job seeds (node.ops.app_baseline), so both sides run the same
app code on the same data with the same local training. Its clock includes the app's import
and data loading, which a node's learning clock includes too.

    .venv/bin/python scripts/bench_cluster.py --out reports/bench_cluster.json
    .venv/bin/python scripts/bench_cluster.py --validators 7 --partition dirichlet --big 0
    .venv/bin/python scripts/bench_cluster.py --big 0 --app digits-mlp
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from ml.aggregation.round import aggregate_round
from ml.aggregation.spec import spec_from_task
from ml.apps.manifest import ConfigValue, parse_config_pairs
from ml.codec.delta import CodecConfig, encode_delta
from ml.data.datasets import load_digits_split
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.errors import AppError
from ml.models import get_model_spec, init_weights
from ml.training.config import TrainConfig
from ml.training.local import configure_determinism, evaluate, train_local
from node.chain.spans import SPANS
from node.learning.settings import TrainingConfig
from node.learning.trainer import compute_job_seed
from node.ops.app_baseline import load_app_baseline, run_app_baseline
from node.ops.app_task import prepare_app_task
from node.ops.cluster_report import find_reached_version, get_models
from node.ops.launcher import Cluster
from node.ops.process_cpu import CpuSeconds, read_cpu_seconds
from node.ops.testnet import TaskOptions, TestnetOptions, build_task, create_testnet
from node.sim.preset import load_preset

TARGET = 0.95


def run_baseline(options: TestnetOptions, max_rounds: int = 200) -> dict[str, Any]:
    """The same federation without chain, network or processes: one loop in this process."""
    configure_determinism()
    task, _ = build_task(options)
    spec = spec_from_task(task.model_id, task.aggregation, task.clip_norm, task.min_deltas)
    model = get_model_spec(task.model_id)
    data = load_digits_split()
    scheme: Scheme = "dirichlet" if options.partition == "dirichlet" else "iid"
    shards = [
        compute_shard(data.train, ShardSpec(scheme, options.validators, i, 0, options.alpha))
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
    options: TestnetOptions, manifest: dict[str, object], seconds: float, stop_at_target: bool
) -> dict[str, Any]:
    cluster = Cluster.from_manifest(manifest)
    started_unix = time.time()
    reached, reached_unix = None, None
    cpu_samples: list[tuple[float, CpuSeconds]] = []
    try:
        cluster.start_all()
        cluster.wait_until_serving(120.0)
        serving = time.monotonic()
        while time.monotonic() - serving < seconds:
            time.sleep(0.2)
            cpu_samples.append((time.time(), read_cluster_cpu(cluster)))
            if stop_at_target:
                reached = find_reached_version(get_models(cluster.nodes[0]), TARGET)
                if reached is not None:
                    reached_unix = time.time()
                    break
        statuses = [n.get("/status") or {} for n in cluster.nodes]
        metrics = [read_metrics(n.api_url) for n in cluster.nodes]
    finally:
        cluster.stop_all()
    summary = summarize_cluster(
        options, statuses, metrics, started_unix, reached=reached, reached_unix=reached_unix
    )
    summary["cpu_ms_per_version"] = compute_cpu_per_version(metrics, cpu_samples, reached)
    return summary


def read_cluster_cpu(cluster: Cluster) -> CpuSeconds:
    """CPU seconds of the node processes (``processes``) and their training workers."""
    return read_cpu_seconds([n.process.pid for n in cluster.nodes if n.process is not None])


def compute_cpu_per_version(
    metrics: list[dict[str, float]], samples: list[tuple[float, CpuSeconds]], reached: int | None
) -> dict[str, float] | None:
    """Milliseconds of CPU per version while learning, all nodes (and all workers) together:
    from the first sample after learning began to the sample that saw the target reached. The
    wall clock of a run varies with the machine's other load; this varies with the code."""
    began = [m[LEARNING_STARTED] for m in metrics if LEARNING_STARTED in m]
    if not reached or not began or not samples:
        return None
    after = [cpu for at, cpu in samples if at >= min(began)]
    if len(after) < 2:
        return None
    used = after[-1] - after[0]
    return {
        "nodes": round(1000 * used.processes / reached, 1),
        "workers": round(1000 * used.children / reached, 1),
    }


def summarize_cluster(
    options: TestnetOptions,
    statuses: list[dict[str, Any]],
    metrics: list[dict[str, float]],
    started_unix: float,
    *,
    reached: int | None,
    reached_unix: float | None,
) -> dict[str, Any]:
    p50s = [s["finality_p50_ms"] for s in statuses if s.get("finality_p50_ms") is not None]
    p99s = [s["finality_p99_ms"] for s in statuses if s.get("finality_p99_ms") is not None]
    learning_began = [m[LEARNING_STARTED] for m in metrics if LEARNING_STARTED in m]
    learning_seconds = None
    if reached_unix is not None and learning_began:
        learning_seconds = reached_unix - min(learning_began)
    heights = [s.get("height") for s in statuses]
    return {
        "validators": options.validators,
        "partition": options.partition,
        "seconds_to_target": None if reached_unix is None else reached_unix - started_unix,
        "learning_seconds": learning_seconds,
        "reached_version": reached,
        "heights": heights,
        "blocks_per_version": compute_blocks_per_version(heights, reached),
        "finality_p50_ms": statistics.median(p50s) if p50s else None,
        "finality_p99_ms": statistics.median(p99s) if p99s else None,
        "spans_mean_ms": summarize_spans(metrics),
        "counters_all_nodes": sum_counters(metrics),
    }


LEARNING_STARTED = "deltachain_learning_started_timestamp_seconds"
_SPAN_SAMPLE = re.compile(r'deltachain_span_seconds_(sum|count)\{span="(\w+)"\} (\S+)')
_COUNTER = re.compile(r"deltachain_((?:training|aggregations|gossip_copies)\w*)_total (\S+)")


def read_metrics(api_url: str) -> dict[str, float]:
    """The span sums and counts (``sum:NAME``, ``count:NAME``), when learning began and the
    training, aggregation and gossip-copy counters (``total:NAME``)."""
    try:
        with urllib.request.urlopen(f"{api_url}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return {}
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = _SPAN_SAMPLE.fullmatch(line)
        if match:
            found[f"{match[1]}:{match[2]}"] = float(match[3])
        elif counter := _COUNTER.fullmatch(line):
            found[f"total:{counter[1]}"] = float(counter[2])
        elif line.startswith(LEARNING_STARTED + " "):
            found[LEARNING_STARTED] = float(line.split()[1])
    return found


def summarize_spans(metrics: list[dict[str, float]]) -> dict[str, float | None]:
    """Mean milliseconds per span over every node's observations."""
    summary: dict[str, float | None] = {}
    for span in SPANS:
        total = sum(m.get(f"sum:{span}", 0.0) for m in metrics)
        count = sum(m.get(f"count:{span}", 0.0) for m in metrics)
        summary[span] = round(1000 * total / count, 1) if count else None
    return summary


def sum_counters(metrics: list[dict[str, float]]) -> dict[str, int]:
    """Each training, aggregation and gossip-copy counter summed over the nodes."""
    totals: dict[str, int] = {}
    for node_metrics in metrics:
        for key, value in node_metrics.items():
            if key.startswith("total:"):
                name = key.removeprefix("total:")
                totals[name] = totals.get(name, 0) + int(value)
    return dict(sorted(totals.items()))


def compute_blocks_per_version(heights: list[Any], reached: int | None) -> float | None:
    known = [h for h in heights if isinstance(h, int)]
    if not reached or not known:
        return None
    return round(max(known) / reached, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/bench_cluster.json"))
    parser.add_argument("--validators", type=int, default=4, help="validators that train")
    parser.add_argument("--partition", choices=("iid", "dirichlet"), default="iid")
    parser.add_argument("--alpha", type=float, default=0.5, help="Dirichlet concentration")
    parser.add_argument("--preset", default="local", help="chain preset of the training run")
    parser.add_argument("--staleness-exponent", type=float, default=0.0)
    parser.add_argument("--worker-nice", type=int, default=10, help="training worker nice")
    parser.add_argument("--big", type=int, default=21, help="validators of the finality-only run")
    parser.add_argument("--big-seconds", type=float, default=90.0)
    parser.add_argument("--app", help="learning app (built-in name, directory or bundle)")
    parser.add_argument("--data", action="append", default=[], help="an app node's data path")
    parser.add_argument("--config", action="append", default=[], help="app config key=value")
    args = parser.parse_args()
    task = TaskOptions(rule_params=staleness_params(args.staleness_exponent))
    if args.app is not None:
        app = prepare_app_task(args.app, parse_config(args.config))
        task = replace(task, app=app)
    small = TestnetOptions(
        validators=args.validators,
        local_epochs=2,
        partition=args.partition,
        alpha=args.alpha,
        worker_nice=args.worker_nice,
        p2p_base_port=27_400,
        api_base_port=8_900,
        params=replace(load_preset(args.preset), max_validators=max(4, args.validators)),
        task=task,
        data=tuple(args.data),
    )
    with tempfile.TemporaryDirectory() as tmp:
        manifest = create_testnet(Path(tmp) / f"net{small.validators}", small)
        if task.app is None:
            baseline = run_baseline(small)
        else:
            configure_determinism()  # one torch thread, as in the nodes' training workers
            app_baseline = load_app_baseline(manifest, Path(tmp) / "baseline-apps")
            baseline = run_app_baseline(app_baseline, TARGET)
        cluster = run_cluster(small, manifest, 600.0, stop_at_target=True)
        result: dict[str, Any] = {
            "target_accuracy": TARGET,
            "app": None if task.app is None else task.app.name,
            "baseline_in_process": baseline,
            f"cluster_{args.validators}": cluster,
            "time_to_target_ratio": compute_ratio(cluster["learning_seconds"], baseline),
            "time_to_target_ratio_from_process_start": compute_ratio(
                cluster["seconds_to_target"], baseline
            ),
            "targets": {"ratio": 3.0, "finality_p50_ms_4": 250, "finality_p50_ms_21": 1000},
        }
        if args.big:
            big = TestnetOptions(
                validators=args.big,
                training=False,
                p2p_base_port=27_500,
                api_base_port=9_000,
                params=load_preset("testnet"),
            )
            key = f"cluster_{args.big}_consensus_only"
            big_manifest = create_testnet(Path(tmp) / f"net{args.big}", big)
            result[key] = run_cluster(big, big_manifest, args.big_seconds, stop_at_target=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


def parse_config(pairs: list[str]) -> dict[str, ConfigValue]:
    """``--config key=value`` pairs as the task's app config (as testnet create reads them)."""
    try:
        return parse_config_pairs(pairs)
    except AppError as exc:
        raise SystemExit(str(exc)) from None


def staleness_params(exponent: float) -> dict[str, int | float]:
    return {"staleness_exponent": exponent} if exponent else {}


def compute_ratio(seconds: float | None, baseline: dict[str, Any]) -> float | None:
    if not seconds or not baseline["seconds"]:
        return None
    return round(seconds / float(baseline["seconds"]), 2)


if __name__ == "__main__":
    main()
