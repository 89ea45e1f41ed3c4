"""Soak: a 4-validator testnet that trains for a long time, sampled per node. Writes JSON.

Every ``--every`` seconds it reads each node's ``/metrics`` (resident memory, open descriptors,
trio tasks) and ``/status`` (height), and the resident memory of each node's training worker.
At the end it fits a line to the second half of each node's memory samples: the slope (MiB per
hour) says whether memory levels off. Descriptors and tasks must stay flat.

    .venv/bin/python scripts/soak.py --minutes 60 --out reports/soak.json   (the nightly run)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from node.ops.launcher import Cluster, NodeProcess  # noqa: E402
from node.ops.testnet import TestnetOptions, create_testnet  # noqa: E402
from node.scenario.setup import find_free_port_base  # noqa: E402

MIB = 1 << 20
MAX_SLOPE_MIB_PER_HOUR = 20.0
"""Memory that still grows faster than this over the second half has not levelled off."""


def read_metrics(node: NodeProcess) -> dict[str, float]:
    try:
        text = node.client(timeout_s=5).get_text("/metrics")
    except Exception:
        return {}
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                values[name] = float(value)
            except ValueError:
                continue
    return values


def sample(cluster: Cluster, t_s: float) -> list[dict[str, Any]]:
    rows = []
    for node in cluster.nodes:
        metrics = read_metrics(node)
        status = node.get("/status") or {}
        rows.append(
            {
                "t_s": round(t_s, 1),
                "node": node.name,
                "height": status.get("height"),
                "rss_mib": round(metrics.get("process_resident_memory_bytes", 0) / MIB, 1),
                "fds": metrics.get("process_open_fds"),
                "tasks": metrics.get("deltachain_trio_tasks"),
            }
        )
    return rows


def compute_slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (hours, MiB) points, in MiB per hour."""
    if len(points) < 3:
        return 0.0
    return statistics.linear_regression([p[0] for p in points], [p[1] for p in points]).slope


def summarise(samples: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    nodes = {}
    for name in names:
        rows = [r for r in samples if r["node"] == name and r["rss_mib"]]
        half = rows[len(rows) // 2 :]
        slope = compute_slope([(r["t_s"] / 3600, r["rss_mib"]) for r in half])
        fds = [r["fds"] for r in half if r["fds"] is not None]
        tasks = [r["tasks"] for r in half if r["tasks"] is not None]
        nodes[name] = {
            "rss_first_mib": rows[0]["rss_mib"] if rows else None,
            "rss_last_mib": rows[-1]["rss_mib"] if rows else None,
            "rss_slope_second_half_mib_per_hour": round(slope, 2),
            "fds_range_second_half": [min(fds), max(fds)] if fds else None,
            "tasks_range_second_half": [min(tasks), max(tasks)] if tasks else None,
            "levelled_off": slope <= MAX_SLOPE_MIB_PER_HOUR,
        }
    return nodes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "soak.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as root:
        options = TestnetOptions(
            validators=4, p2p_base_port=find_free_port_base(4), api_base_port=find_free_port_base(4)
        )
        manifest = create_testnet(Path(root) / "net", options)
        cluster = Cluster.from_manifest(manifest)
        samples: list[dict[str, Any]] = []
        try:
            cluster.start_all()
            cluster.wait_until_serving(120)
            started = time.monotonic()
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                samples.extend(sample(cluster, elapsed))
                time.sleep(args.every)
        finally:
            cluster.close()
    names = [n.name for n in cluster.nodes]
    result = {"minutes": args.minutes, "nodes": summarise(samples, names), "samples": samples}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({"minutes": args.minutes, "nodes": result["nodes"]}, indent=2))
    return 0 if all(n["levelled_off"] for n in result["nodes"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
