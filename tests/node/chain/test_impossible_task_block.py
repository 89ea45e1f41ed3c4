"""A Byzantine proposer's block that opens an impossible task is never final; a valid task is.

Node 0's mempool applies only the ledger's rules (as a Byzantine node may), so the impossible
CreateTask it holds goes into every block it proposes. The honest nodes refuse those proposals
before their engines see them (``validate_block_tasks``), prevote nil, and the next round's
proposer carries the chain on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import trio
import trio.testing

from consensus.ledger import process_transaction
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.transactions import SignedTransaction
from node.chain.chain_node import ChainNode
from node.chain.mempool import Mempool
from node.network.memory import MemoryHub
from tests.node.byzantine.network import final_hashes, make_nodes, wait_for_height
from tests.node.learning.test_learning_on_finality import TASK

KEYS = make_keys(4, namespace=77)
GENESIS = make_devnet_genesis("tasknet", KEYS, time_ms=1_000)
IMPOSSIBLE = sign_transaction(
    KEYS[0], "tasknet", 0, dataclasses.replace(TASK, aggregation={"rule": "krum", "f": 2**63})
)
VALID = sign_transaction(KEYS[1], "tasknet", 0, TASK)


def make_lax(node: ChainNode) -> None:
    """Give ``node`` a mempool that checks only the ledger's rules (a Byzantine proposer's)."""
    lax = Mempool(node.get_chain_state(), process_transaction)
    node.mempool = node.driver.mempool = lax
    lax.add(IMPOSSIBLE)


def count_refused(node: ChainNode) -> float:
    return node.get_metrics()["deltachain_proposals_refused_total"]


def is_final_on(node: ChainNode, stx: SignedTransaction) -> bool:
    height = node.get_chain_state().height
    blocks = (node.get_finalized(h) for h in range(1, height + 1))
    return any(stx in b.block.txs for b in blocks if b is not None)


async def test_impossible_task_block_is_never_final_and_a_valid_task_is(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    nodes = make_nodes(MemoryHub(latency_s=0.005), KEYS, tmp_path, GENESIS, {})
    make_lax(nodes[0])
    honest = nodes[1:]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(120):
            while min(count_refused(n) for n in honest) < 2:  # node 0 proposed it twice
                await trio.sleep(0.05)
            await wait_for_height(nodes, 12)
        await honest[0].submit_transaction(VALID)
        with trio.fail_after(60):
            while not all(n.get_chain_state().tasks for n in nodes):
                await trio.sleep(0.05)
            await wait_for_height(nodes, nodes[0].get_chain_state().height + 2)
        height = min(n.get_chain_state().height for n in nodes)
        assert all(final_hashes(n, height) == final_hashes(nodes[0], height) for n in honest)
        for node in nodes:
            tasks = node.get_chain_state().tasks
            assert [t.spec for t in tasks.values()] == [TASK]  # only the valid one, everywhere
            assert not is_final_on(node, IMPOSSIBLE) and is_final_on(node, VALID)
        assert IMPOSSIBLE.hash in nodes[0].mempool  # still proposed by node 0, still refused
        assert count_refused(nodes[0]) == 0
        nursery.cancel_scope.cancel()
