"""A development node process: the real network plus an in-memory store, driven over stdio.

``python -m node.network.devnode --seed-index 3 --peer /ip4/.../p2p/... --blocks 50``
prints JSON events on stdout (``ready``, ``gossip``, ``fetched``, ``synced``, ``status``)
and reads JSON commands on stdin (``publish``, ``fetch_blob``, ``sync``, ``status``).
The multi-process tests and ``scripts/bench_network.py`` drive it through
:mod:`node.network.devnode_control`. Gossip payloads from ``publish`` carry the sender's
wall-clock time so receivers in other processes can report latency.
"""

import argparse
import hashlib
import json
import logging
import os
import struct
import sys
import time
from typing import Any

import trio

from node.network import libp2p_patches
from node.network.config import NetworkConfig, RedialParams
from node.network.errors import NetworkError
from node.network.libp2p_network import Libp2pNetwork
from node.network.port import NetworkPort
from node.network.store import MemoryStore
from node.network.sync import fetch_missing_blocks
from node.network.values import GossipMessage, TopicKind, Verdict, get_topic_name

logger = logging.getLogger(__name__)
GENESIS = hashlib.sha256(b"devnode-genesis").digest()
_STAMP = struct.Struct(">4sQ")
_MAGIC = b"DCTS"


def make_seed(index: int) -> bytes:
    return hashlib.sha256(b"devnode-%d" % index).digest()


def make_blob(size: int) -> bytes:
    """A deterministic blob of ``size`` bytes (same in every process)."""
    return hashlib.shake_256(b"devnode-blob-%d" % size).digest(size)


def make_block(height: int) -> bytes:
    return b"block-%08d-" % height + hashlib.sha256(b"block-%d" % height).digest()


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def accept_unless_bad(_peer: str, data: bytes) -> Verdict:
    return Verdict.REJECT if data.startswith(b"BAD") else Verdict.ACCEPT


def stamp(size: int) -> bytes:
    """A gossip payload of ``size`` bytes that starts with the wall-clock send time."""
    head = _STAMP.pack(_MAGIC, time.time_ns())
    return head + os.urandom(max(0, size - len(head)))


def read_latency_ms(data: bytes) -> float | None:
    if len(data) < _STAMP.size or not data.startswith(_MAGIC):
        return None
    sent_ns: int = _STAMP.unpack_from(data)[1]
    return (time.time_ns() - sent_ns) / 1e6


async def report_gossip(inbox: trio.MemoryReceiveChannel[GossipMessage]) -> None:
    async for message in inbox:
        emit(
            "gossip",
            topic=message.topic,
            origin=message.origin,
            msg_id=message.msg_id.hex(),
            latency_ms=read_latency_ms(message.data),
        )


async def run_command(net: NetworkPort, store: MemoryStore, cmd: dict[str, Any]) -> None:
    op = cmd.get("op")
    if op == "publish":
        await net.publish(cmd["topic"], stamp(int(cmd.get("size", 100))))
    elif op == "fetch_blob":
        started = time.perf_counter()
        blob = await net.fetch_blob(cmd["peer"], bytes.fromhex(cmd["hash"]), int(cmd["max"]))
        emit("fetched", bytes=len(blob), seconds=time.perf_counter() - started)
    elif op == "connect":
        started = time.perf_counter()
        peer = await net.connect(cmd["addr"])
        emit("connected", peer=peer, seconds=time.perf_counter() - started)
    elif op == "disconnect":
        await net.disconnect(cmd["peer"])
        emit("disconnected", peer=cmd["peer"])
    elif op == "sync":
        height = await fetch_missing_blocks(net, store, cmd["peer"])
        emit("synced", height=height)
    elif op == "status":
        emit(
            "status",
            height=store.get_height(),
            peers=sorted(net.connected_peers()),
            scores={peer: net.get_score(peer) for peer in cmd.get("score_peers", [])},
            banned=[peer for peer in cmd.get("score_peers", []) if net.is_banned(peer)],
            fds=len(os.listdir("/proc/self/fd")),
            rss_kb=read_rss_kb(),
        )
    else:
        emit("error", message=f"unknown op {op!r}")


def read_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def serve_commands(net: NetworkPort, store: MemoryStore) -> None:
    stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
    buffer = b""
    async with stdin:
        while chunk := await stdin.receive_some(65536):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in filter(None, lines):
                try:
                    await run_command(net, store, json.loads(line))
                except (NetworkError, ValueError, KeyError) as exc:
                    emit("error", message=repr(exc))


def build_store(args: argparse.Namespace) -> MemoryStore:
    store = MemoryStore(args.chain, GENESIS)
    store.blocks.extend(make_block(h) for h in range(1, args.blocks + 1))
    for size in args.blob_size:
        store.add_blob(make_blob(size))
    return store


async def run(args: argparse.Namespace) -> None:
    store = build_store(args)
    config = NetworkConfig(
        args.chain,
        make_seed(args.seed_index),
        listen_addrs=(args.listen,),
        bootstrap_peers=tuple(args.peer),
        redial=RedialParams(initial_s=0.1, max_s=2.0, check_s=0.2),
    )
    async with Libp2pNetwork(config, store.providers()) as net, trio.open_nursery() as nursery:
        for kind in TopicKind:
            inbox = await net.subscribe(get_topic_name(args.chain, kind), accept_unless_bad)
            nursery.start_soon(report_gossip, inbox)
        emit("ready", peer_id=net.peer_id, addrs=net.listen_addrs())
        await serve_commands(net, store)
        nursery.cancel_scope.cancel()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m node.network.devnode")
    parser.add_argument("--seed-index", type=int, required=True)
    parser.add_argument("--chain", default="devnet")
    parser.add_argument("--listen", default="/ip4/127.0.0.1/tcp/0")
    parser.add_argument("--peer", action="append", default=[], help="bootstrap address")
    parser.add_argument("--blocks", type=int, default=0, help="height of the synthetic chain")
    parser.add_argument("--blob-size", type=int, action="append", default=[])
    parser.add_argument(
        "--without-speedups",
        action="store_true",
        help="revert the py-libp2p speed-ups (a baseline for benchmarks)",
    )
    parser.add_argument(
        "--revert",
        action="append",
        default=[],
        choices=sorted(libp2p_patches.SPEEDUPS),
        help="revert one py-libp2p speed-up (repeatable; a baseline for benchmarks)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.without_speedups:
        libp2p_patches.revert_patches(libp2p_patches.SPEEDUPS)
    libp2p_patches.revert_patches(frozenset(args.revert))
    trio.run(run, args)


if __name__ == "__main__":
    main()
