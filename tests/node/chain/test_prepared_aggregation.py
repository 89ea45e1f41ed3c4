"""A valid proposed block that makes a task ready is aggregated while the validators vote on
it: the final block then uses that outcome, and the versions are the very ones a node that
prepares nothing derives at finality (in-memory network, four validators)."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from node.chain.chain_node import ChainNode
from node.network.memory_hub import MemoryHub
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.test_learning_on_finality import GENESIS, KEYS, SNAPSHOT, submit_delta


async def submit_deltas_for_each_version(nodes: list[ChainNode]) -> None:
    """Each validator sends one delta for every new version its node has."""
    sent = [-1] * len(nodes)
    index = 0
    while True:
        for i, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
            version = node.get_chain_state().tasks[1].version
            if version == sent[i]:
                continue
            sent[i], index = version, index + 1
            await submit_delta(node, key, index, version)
        await trio.sleep(0.05)


async def test_proposed_blocks_are_aggregated_before_final_with_the_same_versions(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    for i in range(len(KEYS)):
        BlobStore(tmp_path / f"n{i}" / "blobs").put(SNAPSHOT)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS, GENESIS) for i, k in enumerate(KEYS)]
    nodes[3].driver.proposal_listeners.clear()  # this one aggregates at finality only
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        nursery.start_soon(submit_deltas_for_each_version, nodes)
        await trio.sleep(10.0)
        versions = min(n.get_chain_state().tasks[1].version for n in nodes)
        histories = [
            [(m.version, m.model_hash) for m in n.storage.store.get_models(1)][:versions]
            for n in nodes
        ]
        used = [n.aggregator.prepared_used for n in nodes]
        nursery.cancel_scope.cancel()
    assert versions >= 3
    assert all(count >= versions - 1 for count in used[:3])  # all but a proposal we missed
    assert used[3] == 0
    assert all(history == histories[3] for history in histories)
    assert len(histories[3]) == versions
