"""Block pacing with ``create_empty_blocks`` off: no empty blocks back to back while nothing is
pending, a transaction still goes in at once, deltas are batched into one version's block, the
chain stays live every interval and downtime is still counted."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import trio
import trio.testing

from consensus.crypto import KeyPair
from consensus.genesis import Genesis
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.params import ChainParams
from consensus.transactions import Transfer
from node.chain.chain_node import ChainNode, NodeTimings
from node.chain.pacing import BlockPacing
from node.network.config import NetworkConfig
from node.network.memory import MemoryHub, MemoryNetwork
from node.network.peer_id import compute_peer_id
from node.network.values import Providers
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import run_in_scope, virtual_ms, wait_for_height
from tests.node.learning.test_buffered_versions import GENESIS as LEARN_GENESIS
from tests.node.learning.test_buffered_versions import KEYS as LEARN_KEYS
from tests.node.learning.test_buffered_versions import SNAPSHOT as LEARN_SNAPSHOT
from tests.node.learning.test_buffered_versions import submit

KEYS = make_keys(4, namespace=91)
GENESIS = make_devnet_genesis("pacenet", KEYS, time_ms=1_000)
PACED = BlockPacing(create_empty_blocks=False, empty_blocks_interval_s=2.0)


def make_paced_node(
    hub: MemoryHub,
    key: KeyPair,
    home: Path,
    pacing: BlockPacing,
    *,
    genesis: Genesis = GENESIS,
    keys: Sequence[KeyPair] = KEYS,
) -> ChainNode:
    bootstrap = tuple(f"/memory/p2p/{compute_peer_id(p.seed)}" for p in keys if p != key)

    def factory(providers: Providers) -> MemoryNetwork:
        config = NetworkConfig(genesis.chain_id, key_seed=key.seed, bootstrap_peers=bootstrap)
        return MemoryNetwork(hub, config, providers)

    timings = NodeTimings(pacing=pacing)
    return ChainNode(
        genesis, key=key, data_dir=home, network_factory=factory, now_ms=virtual_ms, timings=timings
    )


async def heights_after(nodes: Sequence[ChainNode], seconds: float) -> int:
    start = nodes[0].get_state().chain.height
    await trio.sleep(seconds)
    return nodes[0].get_state().chain.height - start


async def test_idle_chain_makes_one_block_per_interval_and_a_tx_goes_in_at_once(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    nodes = [make_paced_node(hub, k, tmp_path / f"n{i}", PACED) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
        idle_blocks = await heights_after(nodes, 20.0)
        assert 8 <= idle_blocks <= 11  # one empty block per 2 s interval, not back to back
        recipient = make_keys(1, namespace=92)[0]
        await trio.sleep(0.3)  # well inside an interval: nothing would be proposed soon
        sent_at = trio.current_time()
        await nodes[1].submit_transaction(
            sign_transaction(KEYS[0], "pacenet", 0, Transfer(recipient.address, 5))
        )
        with trio.fail_after(10):
            while nodes[2].get_state().chain.get_account(recipient.address).balance != 5:
                await trio.sleep(0.01)
        assert trio.current_time() - sent_at < 0.6  # final at once, not at the next interval
        nursery.cancel_scope.cancel()


async def test_back_to_back_blocks_when_empty_blocks_are_on(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    eager = BlockPacing(create_empty_blocks=True)
    nodes = [make_paced_node(hub, k, tmp_path / f"n{i}", eager) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
        assert await heights_after(nodes, 4.0) > 12  # ~ one per timeout_commit (100 ms)
        nursery.cancel_scope.cancel()


async def test_a_stopped_validator_is_still_counted_missing_on_the_paced_blocks(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    nodes = [make_paced_node(hub, k, tmp_path / f"n{i}", PACED) for i, k in enumerate(KEYS)]
    stop = trio.CancelScope()
    async with trio.open_nursery() as nursery:
        for node in nodes[:3]:
            await nursery.start(node.run)
        await nursery.start(run_in_scope, nodes[3], stop)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
        stop.cancel()
        await trio.sleep(12.0)
        chain = nodes[0].get_state().chain
        missed = chain.missed_blocks.get(KEYS[3].address, ())
        assert len(missed) >= 4  # the empty blocks every interval still record who signed
        nursery.cancel_scope.cancel()


async def test_deltas_arriving_apart_are_batched_into_the_block_that_makes_the_version(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    BlobStore(tmp_path / "n0" / "blobs").put(LEARN_SNAPSHOT)
    nodes = [
        make_paced_node(hub, k, tmp_path / f"n{i}", PACED, genesis=LEARN_GENESIS, keys=LEARN_KEYS)
        for i, k in enumerate(LEARN_KEYS)
    ]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
        await trio.sleep(0.3)
        hashes = []
        for index in range(3):  # 3 = min_deltas, 60 ms apart (inside the batch window)
            hashes.append(await submit(nodes[index], LEARN_KEYS[index], index, 0, 0))
            await trio.sleep(0.06)
        with trio.fail_after(30):
            while nodes[0].get_chain_state().tasks[1].version < 1:
                await trio.sleep(0.01)
        heights = {nodes[0].storage.store.find_tx(h).height for h in hashes}  # type: ignore[union-attr]
        assert len(heights) == 1  # one block carried the whole version
        nursery.cancel_scope.cancel()


async def seconds_for_transfers(nodes: Sequence[ChainNode], count: int) -> float:
    """Send ``count`` transfers one after another, each once the previous one is final."""
    recipient = make_keys(1, namespace=94)[0]
    started = trio.current_time()
    for nonce in range(count):
        transfer = Transfer(recipient.address, 1)
        await nodes[1].submit_transaction(sign_transaction(KEYS[0], "pacenet", nonce, transfer))
        with trio.fail_after(30):
            while nodes[1].get_state().chain.get_account(recipient.address).balance <= nonce:
                await trio.sleep(0.01)
    return trio.current_time() - started


async def test_timeout_commit_ends_once_every_validator_precommitted(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """As CometBFT's ``skip_timeout_commit``: with every validator's precommit in, nobody needs
    the pause (1 s here, the testnet preset's); with one validator down it stays."""
    params = dataclasses.replace(ChainParams(), timeout_commit_ms=1_000)
    genesis = make_devnet_genesis("pacenet", KEYS, params, time_ms=1_000)
    for running, low, high in ((KEYS, 0.0, 2.5), (KEYS[:3], 5.0, 30.0)):
        hub = MemoryHub(latency_s=0.005)
        homes = [tmp_path / f"{len(running)}-{i}" for i in range(len(running))]
        nodes = [
            make_paced_node(hub, k, home, PACED, genesis=genesis)
            for k, home in zip(running, homes, strict=True)
        ]
        async with trio.open_nursery() as nursery:
            for node in nodes:
                await nursery.start(node.run)
            with trio.fail_after(60):
                await wait_for_height(nodes, 2)
            assert low <= await seconds_for_transfers(nodes, 5) < high
            nursery.cancel_scope.cancel()


async def wait_for_version(node: ChainNode, version: int) -> float:
    """Seconds until ``node`` derived ``version`` of task 1."""
    started = trio.current_time()
    with trio.fail_after(30):
        while node.get_chain_state().tasks[1].version < version:
            await trio.sleep(0.01)
    return trio.current_time() - started


async def test_a_version_waits_briefly_for_fresh_deltas_but_not_for_the_batch_window(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """Deltas that make a version only with a stale one counted wait up to
    ``fresh_deltas_wait_s`` for one more of the current version; stale-only work waits no
    longer than that (the 1 s batch window is not what lets it in)."""
    hub = MemoryHub(latency_s=0.005)
    BlobStore(tmp_path / "n0" / "blobs").put(LEARN_SNAPSHOT)
    pacing = dataclasses.replace(PACED, delta_batch_window_s=1.0, fresh_deltas_wait_s=0.1)
    nodes = [
        make_paced_node(hub, k, tmp_path / f"n{i}", pacing, genesis=LEARN_GENESIS, keys=LEARN_KEYS)
        for i, k in enumerate(LEARN_KEYS)
    ]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
        for index in range(3):  # version 1 from three deltas of version 0 (min_deltas 3)
            await submit(nodes[index], LEARN_KEYS[index], index, 0, 0)
        await wait_for_version(nodes[0], 1)
        await trio.sleep(0.3)
        stale = await submit(nodes[3], LEARN_KEYS[3], 3, 0, 0)  # one version back
        fresh = [await submit(nodes[i], LEARN_KEYS[i], 10 + i, 1, 1) for i in (0, 1)]
        await trio.sleep(0.05)  # ready with the stale one counted: not proposed yet
        fresh.append(await submit(nodes[2], LEARN_KEYS[2], 12, 1, 1))
        await wait_for_version(nodes[0], 2)
        found = [nodes[0].storage.store.find_tx(h) for h in (stale, *fresh)]
        heights = {None if location is None else location.height for location in found}
        assert len(heights) == 1 and None not in heights  # the late fresh one went in too
        await trio.sleep(0.3)
        for i, nonce in ((0, 2), (1, 2), (3, 1)):  # three deltas of version 1, now stale
            await submit(nodes[i], LEARN_KEYS[i], 20 + i, 1, nonce)
        assert await wait_for_version(nodes[0], 3) < 0.5  # the fresh wait, not the window
        nursery.cancel_scope.cancel()
