"""A chain on which one aggregation happened, for the audit and the model commands.

Four validators on the memory network (virtual clock) each submit one synthesized delta (the
approach of ``tests/node/learning/test_learning_on_finality.py``); once version 1 of the task is
final the nodes stop and their data directories stay behind to be reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trio
import trio.testing

from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node, wait_for_height
from tests.node.learning.test_learning_on_finality import GENESIS, KEYS, SNAPSHOT, submit_delta


@dataclass(frozen=True)
class LearnedChain:
    """The stopped network's data directories and the deltas that made version 1."""

    homes: tuple[Path, ...]
    delta_hashes: tuple[bytes, ...]


def build_learned_chain(root: Path) -> LearnedChain:
    homes = tuple(root / f"n{i}" for i in range(len(KEYS)))
    clock = trio.testing.MockClock(autojump_threshold=0)
    hashes = trio.run(_learn, homes, clock=clock)
    return LearnedChain(homes, tuple(hashes))


async def _learn(homes: tuple[Path, ...]) -> list[bytes]:
    hub = MemoryHub(latency_s=0.002)
    BlobStore(homes[0] / "blobs").put(SNAPSHOT)
    nodes = [
        make_node(hub, key, home, KEYS, GENESIS) for key, home in zip(KEYS, homes, strict=True)
    ]
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
        nursery.cancel_scope.cancel()
    return hashes


def open_node(home: Path) -> ChainNode:
    """Validator 0 of the learned chain over the data in ``home``, alone on a fresh hub: it
    serves what is stored (it cannot finalize anything new without its peers)."""
    return make_node(MemoryHub(), KEYS[0], home, KEYS, GENESIS)
