"""Payload fetches on the in-memory network with a silent peer and a peer without the blob
protocol, both with ids that sort first (issue 12): honest fetches stay fast, the bad peers are
asked a bounded number of times, the silent one is scored, the chain keeps its pace."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import trio
import trio.testing
from trio_typing import TaskStatus

from consensus.ledger.devnet import sign_transaction
from consensus.transactions import ModelDelta
from node.chain.chain_node import ChainNode
from node.chain.fetch_policy import FetchPolicy
from node.chain.gossip import MAX_INLINE_PAYLOAD
from node.chain.payload_fetch import PayloadFetcher
from node.network.config import NetworkConfig, ScoreParams
from node.network.hostile import BlobBehaviour, find_seed_sorting_first
from node.network.hostile_memory import HostileMemoryPeer
from node.network.memory import MemoryNetwork
from node.network.memory_hub import MemoryHub
from node.network.peer_id import compute_peer_id
from node.network.store import MemoryStore
from node.storage.blobs import BlobStore
from node.storage.layout import compute_genesis_hash
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.test_learning_on_finality import GENESIS, KEYS, SNAPSHOT, make_delta

CHAIN = GENESIS.chain_id
VALIDATOR_IDS = [compute_peer_id(k.seed) for k in KEYS]


def make_hostile(hub: MemoryHub, behaviour: BlobBehaviour, label: bytes) -> HostileMemoryPeer:
    """A hostile peer whose id sorts before every validator's, dialing every validator."""
    seed = find_seed_sorting_first(VALIDATOR_IDS, label)
    bootstrap = tuple(f"/memory/p2p/{p}" for p in VALIDATOR_IDS)
    config = NetworkConfig(CHAIN, seed, bootstrap_peers=bootstrap)
    store = MemoryStore(CHAIN, compute_genesis_hash(GENESIS))  # on our chain: kept connected
    return HostileMemoryPeer(hub, config, store.providers(), behaviour)


async def run_network(
    network: MemoryNetwork, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    async with network:
        task_status.started()
        await trio.sleep_forever()


async def test_payload_fetch_network_fast_despite_bad_peers_and_silent_one_scored(
    autojump_clock: trio.testing.MockClock,
) -> None:
    hub = MemoryHub(latency_s=0.002)
    holder_store = MemoryStore(CHAIN, b"")
    hashes = [holder_store.add_blob(b"payload-%d" % i) for i in range(20)]
    client = MemoryNetwork(hub, NetworkConfig(CHAIN, b"\1" * 32), holder_store.providers())
    holder = MemoryNetwork(hub, NetworkConfig(CHAIN, b"\2" * 32), holder_store.providers())
    silent = make_hostile(hub, BlobBehaviour.SILENT, b"silent")
    mute = make_hostile(hub, BlobBehaviour.NO_PROTOCOL, b"no-blob")
    assert min(silent.peer_id, mute.peer_id) < holder.peer_id
    kept: list[bytes] = []
    fetcher = PayloadFetcher(client, kept.append, FetchPolicy())
    async with trio.open_nursery() as nursery:
        for network in (client, holder, silent, mute):
            await nursery.start(run_network, network)
        for peer in (holder, silent, mute):
            await client.connect(peer.listen_addrs()[0])
        await nursery.start(fetcher.run)
        for blob_hash in hashes:
            started = trio.current_time()
            assert await fetcher.fetch(blob_hash, 100, [])
            assert trio.current_time() - started < 0.35  # at worst one hedge delay
        assert silent.blob_requests <= 1 and mute.blob_requests <= 1
        missing = hashlib.sha256(b"withheld").digest()
        assert not await fetcher.fetch(missing, 100, [silent.peer_id])  # it "advertised" it
        await trio.sleep(10.0)  # the request runs on to the network's io_timeout_s
        penalty = ScoreParams().violation_penalty
        assert client.get_score(silent.peer_id) == pytest.approx(-penalty, abs=1.0)  # decays
        assert client.get_score(mute.peer_id) == 0.0
        assert len(kept) == len(hashes)
        nursery.cancel_scope.cancel()


async def submit_deltas(nodes: list[ChainNode], period_s: float) -> None:
    """Task: every ``period_s`` each validator announces a new delta of its own, too large to
    travel inline with its transaction, so that every other node fetches it (the padding
    makes the delta malformed: the aggregation rejects it, which this test does not look at)."""
    index = 0
    while True:
        for node, key in zip(nodes, KEYS, strict=True):
            index += 1
            payload = make_delta(index) + bytes(MAX_INLINE_PAYLOAD)
            version = node.get_chain_state().tasks[1].version
            body = ModelDelta(1, version, node.put_blob(payload), len(payload), 10)
            nonce = node.get_next_nonce(key.address)
            await node.submit_transaction(sign_transaction(key, CHAIN, nonce, body))
        await trio.sleep(period_s)


async def test_payload_fetch_network_chain_fetches_fast_with_bad_peers_sorting_first(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    for i in range(len(KEYS)):
        BlobStore(tmp_path / f"n{i}" / "blobs").put(SNAPSHOT)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS, GENESIS) for i, k in enumerate(KEYS)]
    bad = [make_hostile(hub, b, b.value.encode()) for b in BlobBehaviour]
    async with trio.open_nursery() as nursery:
        for peer in bad:
            await nursery.start(run_network, peer)
        for node in nodes:
            await nursery.start(node.run)
        nursery.start_soon(submit_deltas, nodes, 1.0)
        await trio.sleep(10.0)
        assert all(b.connected_peers() == frozenset(VALIDATOR_IDS) for b in bad)
        assert min(n.get_chain_state().tasks[1].version for n in nodes) >= 2
        assert min(n.get_state().chain.height for n in nodes) >= 10
        for node in nodes:
            metrics = node.get_metrics()
            assert metrics["deltachain_payload_fetches_total"] >= 15
            assert metrics["deltachain_payload_fetch_failures_total"] == 0
            assert metrics["deltachain_payload_fetch_latency_p99_ms"] < 350
        assert all(b.blob_requests <= 2 for b in bad)
        nursery.cancel_scope.cancel()
