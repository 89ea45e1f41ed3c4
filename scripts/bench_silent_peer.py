"""Issue 12 benchmark: a silent peer must not throttle the chain.

Runs a real 4-validator testnet (one process per node, py-libp2p on loopback) that carries model
delta payloads (every validator announces one every ``--delta-period`` s: payload by PUT /blobs,
the delta by POST /txs) and measures blocks/s in alternating windows of ``--seconds``: without,
then with a hostile peer (``python -m node.network.silent_peer``: an id that sorts before every
validator's, the blob protocol registered, no answer ever; started for its window and killed
after it), ``--rounds`` times. Both conditions are in one run and interleaved, so the load of a
shared machine hits both alike; each condition's blocks/s is its total blocks over its total
time. Writes JSON (``--out``, default stdout).

    .venv/bin/python scripts/bench_silent_peer.py [--seconds 45] [--rounds 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from consensus.crypto import KeyPair
from consensus.ledger.devnet import sign_transaction
from consensus.transactions import ModelDelta
from ml.codec.delta import CodecConfig, encode_delta
from ml.models import get_model_spec
from node.api.errors import ApiError
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TestnetOptions, create_testnet, make_seed

TARGET_RATIO = 0.8
METRICS = ("hedges", "peer_timeouts", "attempt_failures", "failures")


def make_payload(model_id: str, index: int) -> bytes:
    spec = get_model_spec(model_id)
    values = np.random.default_rng(index).normal(0, 0.01, spec.num_params).astype(np.float32)
    return encode_delta(values, spec.model_id, spec.shapes, CodecConfig())


class DeltaSender(threading.Thread):
    """Every ``period_s`` each validator announces one new delta through its own API."""

    def __init__(
        self,
        nodes: list[NodeProcess],
        keys: list[KeyPair],
        options: TestnetOptions,
        period_s: float,
    ) -> None:
        super().__init__(daemon=True)
        self.nodes, self.keys, self.options, self.period_s = nodes, keys, options, period_s
        self.stop = threading.Event()
        self.sent = self.errors = 0

    def run(self) -> None:
        index = 0
        while not self.stop.wait(self.period_s):
            for node, key in zip(self.nodes, self.keys, strict=True):
                index += 1
                try:
                    self.send_one(node, key, index)
                    self.sent += 1
                except ApiError:
                    self.errors += 1

    def send_one(self, node: NodeProcess, key: KeyPair, index: int) -> None:
        client = node.client(timeout_s=5.0)
        payload = make_payload(self.options.task.model_id, index)
        payload_hash = bytes.fromhex(client.put_blob(payload))
        version = int(client.get("/tasks/1")["version"])
        nonce = int(client.get(f"/accounts/{key.address.hex()}")["next_nonce"])
        body = ModelDelta(1, version, payload_hash, len(payload), 100)
        client.submit_tx(sign_transaction(key, self.options.chain_id, nonce, body))


def read_heights(nodes: list[NodeProcess]) -> list[int]:
    return [int((n.get("/status") or {}).get("height", 0)) for n in nodes]


def read_fetch_metrics(nodes: list[NodeProcess]) -> dict[str, float]:
    """Payload fetch counters summed over the nodes."""
    totals = dict.fromkeys(METRICS, 0.0)
    for node in nodes:
        text = node.client(timeout_s=5.0).get_text("/metrics")
        for line in text.splitlines():
            for name in METRICS:
                if line.startswith(f"deltachain_payload_fetch_{name}_total "):
                    totals[name] += float(line.split()[1])
    return totals


def measure(nodes: list[NodeProcess], seconds: float) -> dict[str, Any]:
    """Blocks of every node over one window of ``seconds``, and the fetch counters' growth."""
    heights, metrics, started = read_heights(nodes), read_fetch_metrics(nodes), time.monotonic()
    time.sleep(seconds)
    after, elapsed = read_heights(nodes), time.monotonic() - started
    grown = {k: v - metrics[k] for k, v in read_fetch_metrics(nodes).items()}
    blocks = [b - a for a, b in zip(heights, after, strict=True)]
    return {
        "seconds": round(elapsed, 2),
        "blocks": statistics.median(blocks),
        "blocks_per_s": round(statistics.median(blocks) / elapsed, 3),
        "slowest_node_blocks_per_s": round(min(blocks) / elapsed, 3),
        "lag_blocks_at_end": max(after) - min(after),
        "payload_fetch_counters": grown,
    }


def combine(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """One condition over all its windows: blocks/s is total blocks over total time."""
    seconds = sum(w["seconds"] for w in windows)
    return {
        "blocks_per_s": sum(w["blocks"] for w in windows) / seconds,
        "seconds": round(seconds, 2),
        "silent_peer_requests": sum(w.get("silent_peer_requests", 0) for w in windows),
        "windows": windows,
    }


class SilentPeer:
    """The hostile process and what it reported (``python -m node.network.silent_peer``)."""

    def __init__(self, chain_id: str, addrs: list[str], log: Path) -> None:
        command = [sys.executable, "-m", "node.network.silent_peer", "--chain", chain_id]
        command += ["--targets", ",".join(addrs), "--behaviour", "silent"]
        self.log = log
        self.process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.DEVNULL)

    def events(self, kind: str) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [
            e for e in (json.loads(x) for x in lines if x.startswith("{")) if e["event"] == kind
        ]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.25)


def count_links(nodes: list[NodeProcess]) -> int:
    return min(int((n.get("/status") or {}).get("peers", 0)) for n in nodes)


def measure_attacked(
    nodes: list[NodeProcess], chain_id: str, addrs: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """Start the silent peer, wait until every validator is linked to it, measure."""
    silent = SilentPeer(chain_id, addrs, args.workdir / "silent_peer.jsonl")
    try:
        wait_for(lambda: bool(silent.events("ready")), 60.0, "the silent peer")
        wait_for(lambda: count_links(nodes) >= len(nodes), 30.0, "links to the silent peer")
        asked = len(silent.events("request"))
        result = measure(nodes, args.seconds)
        result["silent_peer_requests"] = len(silent.events("request")) - asked
        result["silent_peer_id"] = silent.events("ready")[0]["peer_id"]
        return result
    finally:
        silent.stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    options = TestnetOptions(
        validators=4,
        training=False,
        seed=12,
        p2p_base_port=args.p2p_port,
        api_base_port=args.api_port,
    )
    manifest: dict[str, Any] = create_testnet(args.workdir / "net", options)
    keys = [KeyPair.from_seed(make_seed(options, i)) for i in range(options.validators)]
    cluster = Cluster.from_manifest(manifest)
    sender = DeltaSender(cluster.nodes, keys, options, args.delta_period)
    calm: list[dict[str, Any]] = []
    attacked: list[dict[str, Any]] = []
    try:
        cluster.start_all()
        cluster.wait_until_serving(120.0)
        wait_for(lambda: min(read_heights(cluster.nodes)) >= 2, 60.0, "the first blocks")
        sender.start()
        time.sleep(args.warmup)
        addrs = [str(n["p2p"]) for n in manifest["nodes"]]
        for _ in range(args.rounds):  # alternating windows: load drift hits both alike
            calm.append(measure(cluster.nodes, args.seconds))
            attacked.append(measure_attacked(cluster.nodes, options.chain_id, addrs, args))
    finally:
        sender.stop.set()
        cluster.close()
    return summarize(args, options, sender, combine(calm), combine(attacked))


def summarize(
    args: argparse.Namespace,
    options: TestnetOptions,
    sender: DeltaSender,
    calm: dict[str, Any],
    attacked: dict[str, Any],
) -> dict[str, Any]:
    base = calm["blocks_per_s"]
    return {
        "network": "libp2p: 4 validator processes and 1 silent-peer process on loopback",
        "cpus": len(os.sched_getaffinity(0)),
        "rounds": args.rounds,
        "window_s": args.seconds,
        "payload_bytes": len(make_payload(options.task.model_id, 0)),
        "deltas_sent": sender.sent,
        "delta_send_errors": sender.errors,
        "undisturbed": calm,
        "with_silent_peer": attacked,
        "ratio": attacked["blocks_per_s"] / base if base else None,
        "target_ratio_at_least": TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: stdout)")
    parser.add_argument("--seconds", type=float, default=45.0, help="each measuring window")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of windows, calm/attacked")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--delta-period", type=float, default=1.0)
    parser.add_argument("--p2p-port", type=int, default=27_700)
    parser.add_argument("--api-port", type=int, default=9_170)
    parser.add_argument("--workdir", type=Path, default=None, help="keep node homes and logs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        args.workdir = args.workdir or Path(tmp)
        result = run(args)
    text = json.dumps(result, indent=2)
    if args.out is None:
        print(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
