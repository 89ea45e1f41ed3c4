"""Learning benchmark on the bundled 8x8 digits: convergence, robustness, aggregation time, codecs.

Writes JSON to --out (default reports/bench_learning.json) and prints a summary. 10 nodes,
IID and Dirichlet(0.5) shards, `mlp-digits`, 5 local epochs per round, 30 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml.aggregation.round import aggregate_round
from ml.aggregation.rules import (
    aggregate_fedavg,
    aggregate_krum,
    aggregate_median,
    aggregate_multi_krum,
    aggregate_trimmed_mean,
)
from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import CodecConfig, CodecName
from ml.data.datasets import load_digits_split
from ml.data.partition import Scheme
from ml.models import get_model_spec
from ml.privacy.mechanism import DpConfig
from ml.tools.rounds import build_round
from ml.training.config import TrainConfig
from ml.training.federation import (
    Attack,
    FederationConfig,
    FederationReport,
    compute_mean_accuracy,
    run_federation,
)
from ml.training.local import configure_determinism

MODEL_ID = "mlp-digits"
TRAIN = TrainConfig(epochs=5, batch_size=16, lr=0.05, momentum=0.9)
CLIP_NORM = 5.0
RULES: dict[str, dict[str, int | float]] = {
    "fedavg": {},
    "median": {},
    "trimmed_mean": {"beta": 0.3},
    "krum": {"f": 3},
    "multi_krum": {"f": 3, "m": 5},
}
SCENARIOS: dict[str, tuple[Attack, int]] = {
    "clean": ("none", 0),
    "label_flip_30pct": ("label_flip", 3),
    "alie_20pct": ("alie", 2),
}
SCALE_MODEL = "mlp-wide-digits"


def _spec(rule: str, model_id: str = MODEL_ID) -> AggregationSpec:
    raw = {"model_id": model_id, "rule": rule, "clip_norm": CLIP_NORM, **RULES[rule]}
    return AggregationSpec.from_dict(raw)


def _summarise(report: FederationReport) -> dict[str, Any]:
    return {
        "final_accuracy": report.accuracies[-1],
        "mean_accuracy_last5": compute_mean_accuracy(report),
        "rounds_to_95": report.rounds_to(0.95),
        "attacker_acceptance": report.attacker_acceptance,
        "mean_delta_bytes": report.mean_delta_bytes,
        "accuracy_per_round": list(report.accuracies),
    }


def bench_robustness(rounds: int) -> dict[str, Any]:
    """Every rule, clean and under both attacks, on IID and Dirichlet(0.5) shards."""
    data = load_digits_split()
    out: dict[str, Any] = {}
    for scheme in ("iid", "dirichlet"):
        for rule in RULES:
            for name, (attack, attackers) in SCENARIOS.items():
                config = FederationConfig(
                    spec=_spec(rule),
                    rounds=rounds,
                    scheme=_scheme(scheme),
                    train=TRAIN,
                    attack=attack,
                    num_attackers=attackers,
                )
                started = time.perf_counter()
                result = _summarise(run_federation(config, data))
                result["seconds"] = time.perf_counter() - started
                out.setdefault(scheme, {}).setdefault(rule, {})[name] = result
                print(f"  {scheme:9} {rule:12} {name:17} final={result['final_accuracy']:.3f}")
    return out


def _scheme(name: str) -> Scheme:
    return "iid" if name == "iid" else "dirichlet"


def bench_codecs(rounds: int) -> dict[str, Any]:
    """FedAvg, IID, with each codec: size ratio against float32 and the accuracy it reaches."""
    data = load_digits_split()
    out: dict[str, Any] = {}
    codecs: list[tuple[str, CodecName, float]] = [
        ("float32", "float32", 0.01),
        ("float16", "float16", 0.01),
        ("int8", "int8", 0.01),
        ("topk_1pct", "topk", 0.01),
        ("topk_10pct", "topk", 0.10),
    ]
    for label, name, fraction in codecs:
        config = FederationConfig(
            spec=_spec("fedavg"), rounds=rounds, train=TRAIN, codec=CodecConfig(name, fraction)
        )
        out[label] = _summarise(run_federation(config, data))
        out[label]["size_ratio"] = (
            out[label]["mean_delta_bytes"] / out["float32"]["mean_delta_bytes"]
        )
        ratio, accuracy = out[label]["size_ratio"], out[label]["final_accuracy"]
        print(f"  {label:10} ratio={ratio:.3f} acc={accuracy:.3f}")
    return out


def bench_privacy(rounds: int) -> dict[str, Any]:
    """FedAvg, IID, every node clips to 1 and adds N(0, z^2): accuracy against epsilon."""
    data = load_digits_split()
    out: dict[str, Any] = {"clip_norm": 1.0, "target_delta": 1e-5}
    for z in (0.1, 0.3, 1.0, 3.0):
        dp = DpConfig(clip_norm=1.0, noise_multiplier=z, target_delta=1e-5)
        config = FederationConfig(spec=_spec("fedavg"), rounds=rounds, train=TRAIN, dp=dp)
        report = run_federation(config, data)
        out[f"z={z}"] = {**_summarise(report), "epsilon": report.epsilon}
        print(f"  z={z:<4} epsilon={report.epsilon:.3g} acc={report.accuracies[-1]:.3f}")
    return out


def _time(call: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_aggregation_time(repeats: int) -> dict[str, Any]:
    """20 float32-encoded deltas of ~1M parameters: full aggregate_round and the rule alone."""
    weights, entries = build_round(seed=1, num_deltas=20, model_id=SCALE_MODEL, scale=0.001)
    rows = np.random.default_rng(0).standard_normal((20, get_model_spec(SCALE_MODEL).num_params))
    counts = np.arange(1, 21, dtype=np.int64)
    rule_only = {
        "fedavg": lambda: aggregate_fedavg(rows, counts),
        "median": lambda: aggregate_median(rows),
        "trimmed_mean": lambda: aggregate_trimmed_mean(rows, 0.3),
        "krum": lambda: aggregate_krum(rows, 3),
        "multi_krum": lambda: aggregate_multi_krum(rows, 3, 5),
    }
    out: dict[str, Any] = {"num_deltas": 20, "num_params": int(rows.shape[1])}
    for rule, call in rule_only.items():
        spec = _spec(rule, SCALE_MODEL)
        full = _time(lambda spec=spec: aggregate_round(spec, weights, entries), repeats)
        out[rule] = {"rule_seconds": _time(call, repeats), "aggregate_round_seconds": full}
        print(f"  {rule:12} rule={out[rule]['rule_seconds']:.2f}s round={full:.2f}s")
    return out


def compute_targets(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, checked against the measured numbers."""
    iid = result["robustness"]["iid"]
    clean_fedavg = iid["fedavg"]["clean"]
    targets: dict[str, Any] = {
        "fedavg_iid_95pct_within_30_rounds": (clean_fedavg["rounds_to_95"] or 99) <= 30,
        "median_aggregation_le_2s": result["aggregation_time"]["median"]["rule_seconds"] <= 2.0,
        "krum_aggregation_le_5s": result["aggregation_time"]["krum"]["rule_seconds"] <= 5.0,
    }
    for attack in ("label_flip_30pct", "alie_20pct"):
        gaps = {
            rule: iid[rule]["clean"]["final_accuracy"] - iid[rule][attack]["final_accuracy"]
            for rule in ("krum", "median")
        }
        targets[f"krum_or_median_within_2pts_{attack}"] = min(gaps.values()) <= 0.02
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/bench_learning.json"))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure_determinism()
    started = time.perf_counter()
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "setup": {"model": MODEL_ID, "nodes": 10, "rounds": args.rounds, "train": vars(TRAIN)},
    }
    print("robustness (accuracy on the fixed 359-sample test split)")
    result["robustness"] = bench_robustness(args.rounds)
    print("codecs (FedAvg, IID)")
    result["codecs"] = bench_codecs(args.rounds)
    print("differential privacy (FedAvg, IID)")
    result["privacy"] = bench_privacy(args.rounds)
    print("aggregation time, 20 deltas")
    result["aggregation_time"] = bench_aggregation_time(args.repeats)
    result["targets"] = compute_targets(result)
    result["total_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["targets"], indent=2))
    print(f"wrote {args.out} in {result['total_seconds']:.0f}s")


if __name__ == "__main__":
    main()
