"""Chain nodes on the in-memory network: they finalize the same blocks, survive restarts, sync."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import trio
import trio.testing
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from consensus.genesis import Genesis
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.transactions import Transfer
from node.chain.chain_node import ChainNode
from node.network.config import NetworkConfig
from node.network.memory import MemoryHub, MemoryNetwork
from node.network.peer_id import compute_peer_id
from node.network.values import Providers

KEYS = make_keys(4, namespace=42)
GENESIS = make_devnet_genesis("memnet", KEYS, time_ms=1_000)


def virtual_ms() -> int:
    return int(trio.current_time() * 1000)


def make_node(
    hub: MemoryHub, key: KeyPair, home: Path, peers: Sequence[KeyPair], genesis: Genesis = GENESIS
) -> ChainNode:
    bootstrap = tuple(f"/memory/p2p/{compute_peer_id(p.seed)}" for p in peers if p != key)

    def factory(providers: Providers) -> MemoryNetwork:
        config = NetworkConfig(
            chain_id=genesis.chain_id, key_seed=key.seed, bootstrap_peers=bootstrap
        )
        return MemoryNetwork(hub, config, providers)

    return ChainNode(genesis, key=key, data_dir=home, network_factory=factory, now_ms=virtual_ms)


async def run_in_scope(
    node: ChainNode, scope: trio.CancelScope, *, task_status: TaskStatus[None]
) -> None:
    with scope:
        await node.run(task_status=task_status)


async def wait_for_height(nodes: Sequence[ChainNode], height: int) -> None:
    while min(n.get_state().chain.height for n in nodes) < height:
        await trio.sleep(0.05)


def block_hashes(node: ChainNode, upto: int) -> list[bytes]:
    hashes = []
    for h in range(1, upto + 1):
        finalized = node.storage.store.get_finalized(h)
        assert finalized is not None
        hashes.append(finalized.block.hash)
    return hashes


async def test_chain_node_four_validators_finalize_identical_chains(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        sender, recipient = KEYS[0], make_keys(1, namespace=43)[0]
        await nodes[0].submit_transaction(
            sign_transaction(sender, "memnet", 0, Transfer(recipient.address, 77))
        )
        with trio.fail_after(60):
            await wait_for_height(nodes, 6)
        chains = [block_hashes(n, 6) for n in nodes]
        assert all(chain == chains[0] for chain in chains)
        balances = {n.get_state().chain.get_account(recipient.address).balance for n in nodes}
        assert balances == {77}
        nursery.cancel_scope.cancel()


async def test_chain_node_restarted_validator_catches_up_without_double_signing(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    nodes = [make_node(hub, k, homes[i], KEYS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        scopes = [trio.CancelScope() for _ in nodes]
        for node, scope in zip(nodes, scopes, strict=True):
            await nursery.start(run_in_scope, node, scope)
        with trio.fail_after(60):
            await wait_for_height(nodes, 3)
        scopes[3].cancel()  # stop node 3 (its storage is closed, its signer file stays)
        await trio.sleep(0)
        with trio.fail_after(60):
            await wait_for_height(nodes[:3], 8)
        reborn = make_node(hub, KEYS[3], homes[3], KEYS)
        assert reborn.get_state().chain.height >= 3
        await nursery.start(reborn.run)
        with trio.fail_after(60):
            await wait_for_height([*nodes[:3], reborn], 10)
        assert block_hashes(reborn, 10) == block_hashes(nodes[0], 10)
        assert reborn.sync.synced_blocks > 0
        nursery.cancel_scope.cancel()


async def test_chain_node_status_metrics_and_queries(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        tx = sign_transaction(KEYS[1], "memnet", 0, Transfer(KEYS[2].address, 5))
        await nodes[1].submit_transaction(tx)
        with trio.fail_after(60):
            while nodes[0].find_transaction(tx.hash) is None:
                await trio.sleep(0.05)
            await wait_for_height(nodes, 4)
        location, found = nodes[0].find_transaction(tx.hash) or (None, None)
        assert found == tx and location is not None
        status = nodes[0].get_status()
        assert status.chain_id == "memnet" and status.is_validator and status.peers == 3
        assert status.height >= 4 and status.finality_p50_ms is not None
        metrics = nodes[0].get_metrics()
        assert metrics["deltachain_blocks_finalized_total"] >= 4
        assert metrics["deltachain_validators"] == 4
        nursery.cancel_scope.cancel()
