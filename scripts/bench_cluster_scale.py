"""How many real node processes this machine sustains while still finalizing.

Runs consensus-only clusters (training off) of growing size on loopback through the scenario
runner for a fixed time each, and writes JSON: per size the blocks finalized per second over
the timed window (after a warm-up in which peers connect), finality latency p50/p99 (the
nodes' own proposal-to-final figures), rounds per height, and whether every node kept
finalizing.

    .venv/bin/python scripts/bench_cluster_scale.py --sizes 4,7,14,21 --duration 60 \
        --out reports/bench_cluster_scale.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from node.scenario.manifest import Checks, Manifest, NodeSpec, Timing
from node.scenario.options import RunOptions
from node.scenario.report import RunReport
from node.scenario.runner import run_scenario


def scale_manifest(size: int, duration_s: float, preset: str = "local") -> Manifest:
    """``size`` equal validators, no training, no faults, a fixed duration."""
    return Manifest(
        name=f"scale-{size}",
        preset=preset,
        nodes=tuple(NodeSpec(f"v{i}", train=False) for i in range(size)),
        checks=Checks(target_accuracy=None, min_height=1, catch_up_blocks=5),
        timing=Timing(duration_s=duration_s, stop_when_done=False),
    )


def window_rate(report: RunReport, warmup_s: float) -> float | None:
    """Blocks per second over the timed window (first to last height sample of each node
    after the warm-up, the median over nodes)."""
    by_node: dict[str, list[tuple[float, int]]] = {}
    for sample in report.heights:
        if sample.t_s >= warmup_s:
            by_node.setdefault(sample.node, []).append((sample.t_s, sample.height))
    rates = sorted(
        (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0])
        for s in by_node.values()
        if len(s) >= 2 and s[-1][0] > s[0][0]
    )
    return round(rates[len(rates) // 2], 3) if rates else None


def bench_size(
    size: int, duration_s: float, warmup_s: float, workdir: Path, preset: str = "local"
) -> dict[str, Any]:
    started = time.monotonic()
    options = RunOptions(workdir=workdir, serve_timeout_s=600.0, node_log_level="warning")
    report = run_scenario(scale_manifest(size, warmup_s + duration_s, preset), options)
    heights = [n.height for n in report.nodes]
    return {
        "nodes": size,
        "preset": preset,
        "blocks_per_s": window_rate(report, warmup_s),
        "finality_p50_ms": report.figures.get("finality_p50_ms"),
        "finality_p99_ms": report.figures.get("finality_p99_ms"),
        "rounds_per_height": report.figures.get("rounds_per_height"),
        "height_min": min(heights),
        "height_max": max(heights),
        "finalizing": report.passed,
        "failed_checks": [c.name for c in report.checks if not c.passed],
        "warmup_s": warmup_s,
        "timed_s": duration_s,
        "wall_s": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4,7,14,21")
    parser.add_argument("--duration", type=float, default=60.0, help="Timed seconds per size.")
    parser.add_argument(
        "--warmup",
        type=float,
        default=30.0,
        help="Seconds before the timed window (peers connect).",
    )
    parser.add_argument(
        "--preset",
        default="local",
        help="Chain preset: local (tight timeouts) or testnet (CometBFT's, 1 s commit).",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/deltachain-bench-scale"))
    parser.add_argument("--out", type=Path, default=Path("reports/bench_cluster_scale.json"))
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = args.workdir / f"n{size}-{int(time.time())}"
        result = bench_size(size, args.duration, args.warmup, workdir, args.preset)
        print(json.dumps(result))
        results.append(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
