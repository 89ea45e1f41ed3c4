"""Learning on finality over the in-memory network: deltas by hash, identical models, rewards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trio
import trio.testing

from consensus.bft.events import Finalized
from consensus.crypto import KeyPair
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import Evaluation, ModelDelta
from ml.codec.delta import CodecConfig, encode_delta
from ml.models import get_model_spec
from node.chain.chain_node import ChainNode
from node.learning.settings import TrainingConfig
from node.learning.trainer import Trainer
from node.network.memory import MemoryHub
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task
from node.storage.blobs import BlobStore
from node.storage.layout import load_chain_state
from tests.node.chain.test_chain_node import make_node, run_in_scope, wait_for_height

KEYS = list(make_keys(4, namespace=77))
OPTIONS = TestnetOptions(  # every node's delta in each version: min_deltas pinned to 4
    validators=4, chain_id="learnnet", task=TaskOptions(model_id="logreg-digits", min_deltas=4)
)
TASK, SNAPSHOT = build_task(OPTIONS)
GENESIS = build_genesis(OPTIONS, KEYS, TASK)


def make_delta(index: int) -> bytes:
    spec = get_model_spec("logreg-digits")
    values = np.random.Generator(np.random.PCG64(index)).normal(0, 0.01, spec.num_params)
    return encode_delta(values.astype(np.float32), spec.model_id, spec.shapes, CodecConfig())


def make_network(tmp_path: Path, homes: int = 4) -> tuple[MemoryHub, list[Path], list[ChainNode]]:
    """The validators on the in-memory network (2 ms latency) with ``homes`` home directories
    (spares for nodes made later); only node 0 holds the initial snapshot: the others fetch it."""
    hub = MemoryHub(latency_s=0.002)
    paths = [tmp_path / f"n{i}" for i in range(homes)]
    BlobStore(paths[0] / "blobs").put(SNAPSHOT)
    nodes = [make_node(hub, k, paths[i], KEYS, GENESIS) for i, k in enumerate(KEYS)]
    return hub, paths, nodes


async def submit_delta(node: ChainNode, key: KeyPair, index: int, version: int = 0) -> bytes:
    """Send a delta for task 1 trained on ``version`` (``index`` picks its values)."""
    payload = make_delta(index)
    payload_hash = node.storage.blobs.put(payload)
    report = Evaluation(samples=40 + index, correct=20 + index, loss_micro=1_500_000)
    body = ModelDelta(1, version, payload_hash, len(payload), 100 + index, report)
    stx = sign_transaction(key, "learnnet", node.get_next_nonce(key.address), body)
    await node.submit_transaction(stx)
    return stx.hash


async def test_learning_four_nodes_aggregate_identical_models_and_pay_rewards(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    _hub, _homes, nodes = make_network(tmp_path)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        hashes = [
            await submit_delta(n, k, i) for i, (n, k) in enumerate(zip(nodes, KEYS, strict=True))
        ]
        with trio.fail_after(120):
            while min(n.get_chain_state().tasks[1].version for n in nodes) < 1:
                await trio.sleep(0.05)
            await wait_for_height(nodes, nodes[0].get_chain_state().height + 1)
        tasks = [n.get_chain_state().tasks[1] for n in nodes]
        assert (
            len({t.model_hash for t in tasks}) == 1
            and tasks[0].model_hash != TASK.initial_model_hash
        )
        assert tasks[0].pool == TASK.reward_pool - 4 * TASK.reward_per_delta
        for node in nodes:
            assert node.storage.blobs.has(tasks[0].model_hash)
            rows = node.get_contributions(1, 1)
            assert sorted(r.tx_hash for r in rows) == sorted(hashes)
            assert all(r.accepted and r.reward == TASK.reward_per_delta for r in rows)
            assert [m.version for m in node.get_models(1)] == [1]
        nursery.cancel_scope.cancel()


async def test_learning_own_delta_on_the_next_version_is_gossiped_at_once_and_admitted_later(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """A trainer publishes a speculative delta as soon as a final block fixes its base version,
    before its own node derived it: the node holds it like a peer's and gossips it at once."""
    _hub, _homes, nodes = make_network(tmp_path)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        await wait_for_height(nodes, 1)  # the peers are connected
        await submit_delta(nodes[0], KEYS[0], 0)
        early = await submit_delta(nodes[0], KEYS[0], 9, version=1)  # no version 1 yet
        await trio.sleep(0.1)  # well before a re-send (2 s)
        assert all(n.mempool.is_held(early) for n in nodes)
        assert all(early not in n.mempool for n in nodes)
        for i in range(1, 4):
            await submit_delta(nodes[i], KEYS[i], i)
        with trio.fail_after(120):
            while min(n.get_chain_state().tasks[1].version for n in nodes) < 1:
                await trio.sleep(0.05)
        for node in nodes:  # admitted once version 1 exists: pooled, or already in a block
            pending = {d.tx_hash for d in node.get_chain_state().tasks[1].pending}
            assert early in node.mempool or early in pending
            assert node.mempool.early_deltas == 0
        nursery.cancel_scope.cancel()


async def test_learning_trainers_produce_deltas_and_models_advance(tmp_path: Path) -> None:
    """Real training workers (separate processes) on every node, real time."""
    _hub, _homes, nodes = make_network(tmp_path)
    trainers = [
        Trainer(node, key, TrainingConfig(shard_index=i, num_shards=4))
        for i, (node, key) in enumerate(zip(nodes, KEYS, strict=True))
    ]
    async with trio.open_nursery() as nursery:
        for node, trainer in zip(nodes, trainers, strict=True):
            await nursery.start(node.run)
            await nursery.start(trainer.run)
        with trio.fail_after(120):
            while min(n.get_chain_state().tasks[1].version for n in nodes) < 2:
                await trio.sleep(0.1)
        hashes = {n.get_models(1)[1].model_hash for n in nodes}
        assert len(hashes) == 1
        senders = {r.sender for r in nodes[0].get_contributions(1, 1)}
        assert senders == {k.address for k in KEYS}
        assert all(t.stats.deltas_submitted >= 1 and t.stats.failures == 0 for t in trainers)
        assert all(0.0 < t.stats.accuracy[0] < 1.0 for t in trainers)
        assert nodes[0].get_models(1)[0].accuracy is not None
        nursery.cancel_scope.cancel()


async def test_learning_node_killed_between_block_and_aggregation_recovers_on_restart(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """A crash after a block that makes a task ready is saved, but before its aggregation, must
    not leave the node on the un-aggregated state (the next block would not apply to it)."""
    hub, homes, nodes = make_network(tmp_path)
    crash = trio.CancelScope()
    crashed_at: list[int] = []

    async def crash_before_aggregating(effect: Finalized) -> None:
        if effect.ready_tasks and not crashed_at:
            crashed_at.append(effect.finalized.block.height)
            crash.cancel()
            await trio.sleep(0)  # the cancellation lands here: the aggregator never runs

    nodes[3].driver.listeners.insert(0, crash_before_aggregating)
    async with trio.open_nursery() as nursery:
        for node in nodes[:3]:
            await nursery.start(node.run)
        await nursery.start(run_in_scope, nodes[3], crash)
        for i, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
            await submit_delta(node, key, i)
        with trio.fail_after(120):
            while not crashed_at:
                await trio.sleep(0.05)
            await wait_for_height(nodes[:3], crashed_at[0] + 3)
        restarted = make_node(hub, KEYS[3], homes[3], KEYS, GENESIS)
        stored = load_chain_state(restarted.storage.store, GENESIS)
        assert stored.height == crashed_at[0] and stored.tasks[1].version == 0  # mid-crash
        await nursery.start(restarted.run)
        with trio.fail_after(120):
            await wait_for_height([restarted], crashed_at[0] + 3)
        task = restarted.get_chain_state().tasks[1]
        assert task.version >= 1
        assert task.model_hash == nodes[0].get_chain_state().tasks[1].model_hash
        assert [m.version for m in restarted.get_models(1)][:1] == [1]
        assert restarted.get_models(1)[0].model_hash == nodes[0].get_models(1)[0].model_hash
        nursery.cancel_scope.cancel()


async def submit_version_delta(node: ChainNode, key: KeyPair, index: int, version: int) -> None:
    payload = make_delta(100 * version + index)
    body = ModelDelta(1, version, node.storage.blobs.put(payload), len(payload), 100 + index)
    await node.submit_transaction(sign_transaction(key, "learnnet", version, body))


async def test_learning_new_node_syncs_aggregating_blocks_each_fed_once(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """Block sync feeds a block only once the one before it (and its aggregations) applied:
    a block sent on top of a pending aggregation would be dropped and fetched again."""
    hub, homes, nodes = make_network(tmp_path, homes=5)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(300):
            for version in range(4):
                for i, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
                    await submit_version_delta(node, key, i, version)
                while min(n.get_chain_state().tasks[1].version for n in nodes) <= version:
                    await trio.sleep(0.05)
        target = nodes[0].get_chain_state().height
        newcomer_key = make_keys(5, namespace=78)[4]
        newcomer = make_node(hub, newcomer_key, homes[4], KEYS, GENESIS)
        await nursery.start(newcomer.run)
        with trio.fail_after(120):
            await wait_for_height([newcomer], target)
            while newcomer.get_chain_state().tasks[1].version < 4:
                await trio.sleep(0.05)
        models = [m.model_hash for m in newcomer.get_models(1)]
        assert models == [m.model_hash for m in nodes[0].get_models(1)][: len(models)]
        assert len(models) >= 4
        assert 0 < newcomer.sync.synced_blocks <= newcomer.get_chain_state().height
        nursery.cancel_scope.cancel()
