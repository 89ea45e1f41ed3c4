"""Buffered asynchronous aggregation on real chain nodes (in-memory network): a version's deltas
accumulate over several final blocks, a node stopped mid-buffer derives the same version after
its restart, and a delta trained on an older version counts with its staleness weight."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from consensus.crypto import KeyPair
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import ModelDelta
from ml.aggregation.round import aggregate_round
from ml.snapshot import decode_weights
from node.chain.chain_node import ChainNode
from node.chain.task_model import compute_task_rule
from node.network.memory import MemoryHub
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node, run_in_scope, wait_for_height
from tests.node.learning.test_learning_on_finality import make_delta

KEYS = list(make_keys(4, namespace=78))
OPTIONS = TestnetOptions(
    validators=4,
    chain_id="learnnet",
    task=TaskOptions(
        model_id="logreg-digits", min_deltas=3, rule_params={"staleness_exponent": 1.0}
    ),
)
TASK, SNAPSHOT = build_task(OPTIONS)
GENESIS = build_genesis(OPTIONS, KEYS, TASK)


async def submit(node: ChainNode, key: KeyPair, seed: int, base_version: int, nonce: int) -> bytes:
    payload = make_delta(seed)
    body = ModelDelta(1, base_version, node.storage.blobs.put(payload), len(payload), 100)
    stx = sign_transaction(key, "learnnet", nonce, body)
    await node.submit_transaction(stx)
    return stx.hash


async def wait_for_pending(nodes: list[ChainNode], count: int) -> None:
    while min(len(n.get_chain_state().tasks[1].pending) for n in nodes) < count:
        await trio.sleep(0.05)


async def wait_for_version(nodes: list[ChainNode], version: int) -> None:
    while min(n.get_chain_state().tasks[1].version for n in nodes) < version:
        await trio.sleep(0.05)


def expected_model_hash(node: ChainNode, base_hash: bytes, staleness: dict[bytes, int]) -> bytes:
    """The pure rule over the payloads the node recorded for the version it derived next."""
    version = next(m.version for m in node.get_models(1) if m.model_hash != base_hash)
    rows = node.get_contributions(1, version)
    entries = []
    for row in rows:
        found = node.find_transaction(row.tx_hash)
        assert found is not None and isinstance(found[1].tx.body, ModelDelta)
        body = found[1].tx.body
        entries.append((row.tx_hash, node.storage.blobs.get(body.payload_hash) or b"", 100))
    weights = decode_weights(node.storage.blobs.get(base_hash) or b"")
    return aggregate_round(compute_task_rule(TASK), weights, sorted(entries), staleness).model_hash


async def test_a_version_buffered_over_blocks_survives_a_restart_and_weighs_stale_deltas(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    BlobStore(homes[0] / "blobs").put(SNAPSHOT)
    nodes = [make_node(hub, k, homes[i], KEYS, GENESIS) for i, k in enumerate(KEYS)]
    stop_node3 = trio.CancelScope()
    async with trio.open_nursery() as nursery:
        for node in nodes[:3]:
            await nursery.start(node.run)
        await nursery.start(run_in_scope, nodes[3], stop_node3)
        with trio.fail_after(120):
            first = await submit(nodes[0], KEYS[0], 1, 0, 0)
            await wait_for_pending(nodes, 1)  # one delta final, the buffer not yet full
            second = await submit(nodes[1], KEYS[1], 2, 0, 0)
            await wait_for_pending(nodes, 2)
        buffered_at = nodes[3].get_chain_state().height
        assert {d.tx_hash for d in nodes[3].get_chain_state().tasks[1].pending} == {first, second}
        stop_node3.cancel()  # node 3 stops between two blocks of one buffer
        await trio.sleep(0)
        with trio.fail_after(120):
            third = await submit(nodes[2], KEYS[2], 3, 0, 0)
            await wait_for_version(nodes[:3], 1)
            # node 2's next delta is trained on version 0 still: stale by one when it counts
            late = await submit(nodes[2], KEYS[2], 4, 0, 1)
            for index, key in enumerate(KEYS[:2]):
                await submit(nodes[index], key, 10 + index, 1, 1)
            await wait_for_version(nodes[:3], 2)
        restarted = make_node(hub, KEYS[3], homes[3], KEYS, GENESIS)
        assert restarted.get_chain_state().height == buffered_at
        await nursery.start(restarted.run)
        with trio.fail_after(120):
            await wait_for_version([restarted], 2)
            await wait_for_height([restarted], nodes[0].get_chain_state().height)
        models = [[m.model_hash for m in n.get_models(1)] for n in [*nodes[:3], restarted]]
        assert all(m == models[0] for m in models) and len(models[0]) >= 2
        version1 = restarted.get_contributions(1, 1)
        assert {r.tx_hash for r in version1} == {first, second, third}
        assert all(r.accepted for r in version1)
        version2 = {r.tx_hash: r for r in restarted.get_contributions(1, 2)}
        assert late in version2 and version2[late].accepted  # stale, weighed, not dropped
        v1_hash = models[0][0]
        weighed = expected_model_hash(restarted, v1_hash, {late: 1})
        assert weighed == models[0][1]
        assert expected_model_hash(restarted, v1_hash, {}) != models[0][1]
        nursery.cancel_scope.cancel()
