"""Benchmark the networking layer with real node processes on loopback; writes JSON.

    .venv/bin/python scripts/bench_network.py [--out reports/bench_network.json] [--quick]

Measures gossip latency (p50/p99, small messages, 5 and 10 processes), blob fetch
throughput (1 MB and 8 MB), connect time, RSS of an idle node, and the CPU a 4-process full
mesh spends per gossip delivery with and without the per-message speed-ups. Every number comes
from dev node processes (``python -m node.network.devnode``).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import trio

from node.network.devnode import make_blob
from node.network.devnode_control import (
    DevNode,
    DevNodes,
    get_free_port,
    open_devnodes,
    plan_addresses,
)
from node.network.values import TopicKind, compute_blob_hash, get_topic_name
from node.ops.process_cpu import read_cpu_seconds

TXS = get_topic_name("devnet", TopicKind.TXS)
MB = 1_000_000
MIB = 1 << 20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def start_mesh(
    nodes: DevNodes, count: int, fanout: int = 3, extra: tuple[str, ...] = ()
) -> list[DevNode]:
    addrs = plan_addresses(list(range(count)), [get_free_port() for _ in range(count)])
    argvs = []
    for index in range(count):
        peers = [addrs[(index + step) % count] for step in range(1, fanout + 1)]
        listen = addrs[index].rsplit("/p2p/", 1)[0]
        argvs.append(
            ["--seed-index", str(index), "--listen", listen, *extra]
            + [arg for peer in peers if peer != addrs[index] for arg in ("--peer", peer)]
        )
    started = await nodes.start_many(argvs, timeout_s=120)
    for node in started:
        with trio.fail_after(30):
            while len((await node.request("status", "status"))["peers"]) < min(2, count - 1):
                await trio.sleep(0.1)
    await trio.sleep(3.0)  # heartbeats graft the mesh
    return started


async def bench_gossip(
    count: int, per_node: int, rate_per_s: float, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Every node publishes ``per_node`` 100-byte messages, ``rate_per_s`` in total."""
    async with open_devnodes() as nodes:
        started = await start_mesh(nodes, count, extra=extra)
        idle = [(await n.request("status", "status"))["rss_kb"] for n in started]
        for _ in range(per_node):
            for node in started:
                await node.send(op="publish", topic=TXS, size=100)
                await trio.sleep(1.0 / rate_per_s)
        latencies: list[float] = []
        expected = per_node * (count - 1)
        lost = 0
        for node in started:
            for _ in range(expected):
                try:
                    event = await node.expect(lambda e: e["event"] == "gossip", timeout_s=30)
                except trio.TooSlowError:
                    lost += 1
                    continue
                latencies.append(event["latency_ms"])
    return {
        "nodes": count,
        "publish_rate_per_s": rate_per_s,
        "messages_published": count * per_node,
        "deliveries_expected": count * expected,
        "deliveries_missing": lost,
        "latency_ms_p50": round(percentile(latencies, 0.50), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99), 2),
        "latency_ms_max": round(max(latencies), 2),
        "idle_rss_mb_median": round(statistics.median(idle) / 1024, 1),
        "idle_rss_mb_max": round(max(idle) / 1024, 1),
    }


async def bench_blobs(repeats: int) -> dict[str, Any]:
    sizes = {"1MB": MB, "8MB": 8 * MB}
    results: dict[str, Any] = {}
    async with open_devnodes() as nodes:
        blob_args = [arg for size in sizes.values() for arg in ("--blob-size", str(size))]
        holder, fetcher = await nodes.start_many(
            [["--seed-index", "0", *blob_args], ["--seed-index", "1"]]
        )
        connects = []
        for _ in range(repeats):
            event = await fetcher.request("connect", "connected", addr=holder.addr)
            connects.append(event["seconds"] * 1000)
            await fetcher.request("disconnect", "disconnected", peer=holder.peer_id)
            await trio.sleep(0.2)
        await fetcher.request("connect", "connected", addr=holder.addr)
        for name, size in sizes.items():
            blob_hash = compute_blob_hash(make_blob(size)).hex()
            rates = []
            for _ in range(repeats):
                event = await fetcher.request(
                    "fetch_blob", "fetched", peer=holder.peer_id, hash=blob_hash, max=size
                )
                rates.append(event["bytes"] / event["seconds"] / MB)
            results[f"blob_{name}_MBps_median"] = round(statistics.median(rates), 1)
            results[f"blob_{name}_MBps_max"] = round(max(rates), 1)
        results["connect_ms_median"] = round(statistics.median(connects), 2)
        results["connect_ms_max"] = round(max(connects), 2)
    return results


async def compare_speedups(per_node: int) -> dict[str, Any]:
    """21 processes at a consensus-like 40 messages/s, without and with the py-libp2p
    speed-ups (``node/network/libp2p_speedups.py``), one after the other."""
    without = await bench_gossip(21, per_node, 40.0, extra=("--without-speedups",))
    with_speedups = await bench_gossip(21, per_node, 40.0)
    return {
        "without": without,
        "with": with_speedups,
        "p50_ratio_without_over_with": round(
            without["latency_ms_p50"] / with_speedups["latency_ms_p50"], 2
        ),
    }


PER_MESSAGE_SPEEDUPS = (
    "batched_yamux_credit",
    "cached_yamux_settings",
    "read_ahead_tcp",
    "lru_validation_cache",
)


async def measure_gossip_cpu(
    per_node: int, extra: tuple[str, ...], count: int = 4, rate_per_s: float = 100.0
) -> dict[str, Any]:
    """A full mesh of ``count`` processes, each publishing ``per_node`` 300-byte messages
    (``rate_per_s`` in total, about a 4-validator chain's votes): the processes' CPU per
    message delivered, from the first publication until every copy has arrived."""
    async with open_devnodes() as nodes:
        started = await start_mesh(nodes, count, fanout=count - 1, extra=extra)
        pids = [n.process.pid for n in started]
        before = read_cpu_seconds(pids)
        for _ in range(per_node):
            for node in started:
                await node.send(op="publish", topic=TXS, size=300)
                await trio.sleep(1.0 / rate_per_s)
        latencies: list[float] = []
        for node in started:
            for _ in range(per_node * (count - 1)):
                try:
                    event = await node.expect(lambda e: e["event"] == "gossip", timeout_s=3)
                except trio.TooSlowError:
                    break  # the rest of this node's deliveries count as missing
                latencies.append(event["latency_ms"])
        used = read_cpu_seconds(pids) - before
    if not latencies:
        raise RuntimeError(f"no gossip delivered in a mesh of {count} (args {extra})")
    return {
        "deliveries": len(latencies),
        "deliveries_missing": count * (count - 1) * per_node - len(latencies),
        "cpu_us_per_delivery": round(1e6 * used.processes / len(latencies), 1),
        "latency_ms_p50": round(percentile(latencies, 0.50), 2),
    }


async def compare_per_message_speedups(per_node: int, rounds: int) -> dict[str, Any]:
    """CPU per gossip delivery without and with the per-message speed-ups (patches 7 and 15
    to 17), alternating ``rounds`` times in this run."""
    without_args = tuple(arg for name in PER_MESSAGE_SPEEDUPS for arg in ("--revert", name))
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    for _ in range(rounds):
        runs["without"].append(await measure_gossip_cpu(per_node, without_args))
        runs["with"].append(await measure_gossip_cpu(per_node, ()))
    cpu = {k: statistics.median(r["cpu_us_per_delivery"] for r in v) for k, v in runs.items()}
    return {
        **runs,
        "cpu_ratio_with_over_without": round(cpu["with"] / cpu["without"], 3),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.time()
    per_node = 6 if args.quick else 20
    report: dict[str, Any] = {
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_avg_1m_at_start": os.getloadavg()[0],
        },
        "gossip_5": await bench_gossip(5, per_node, rate_per_s=5.0),
        "gossip_10": await bench_gossip(10, per_node // 2, rate_per_s=5.0),
        "gossip_21_speedups": await compare_speedups(per_node // 2),
        "gossip_4_cpu_per_message": await compare_per_message_speedups(
            per_node * 10, 2 if args.quick else 3
        ),
        "streams": await bench_blobs(3 if args.quick else 10),
        "targets": {
            "gossip_p50_ms": 20,
            "blob_8MB_MBps": 100,
            "connect_ms": 20,
            "idle_rss_mb": 150,
        },
    }
    report["wall_s"] = round(time.time() - started, 1)
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="reports/bench_network.json")
    parser.add_argument("--quick", action="store_true", help="fewer messages and repeats")
    args = parser.parse_args()
    report = trio.run(run, args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
