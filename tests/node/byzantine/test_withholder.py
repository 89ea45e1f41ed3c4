"""A withholder among four: its deltas are announced, never served, never aggregated."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from consensus.transactions import ModelDelta
from node.byzantine.withholder import Withholder
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.byzantine.learning import (
    CHAIN_ID,
    GENESIS,
    KEYS,
    get_version,
    seed_snapshot,
    submit_delta,
)
from tests.node.byzantine.network import assert_same_chain, make_nodes, wait_for_height


def deltas_in_chain(node: ChainNode) -> set[bytes]:
    """Hashes of every delta transaction in ``node``'s final blocks."""
    found = set()
    for height in range(1, node.get_chain_state().height + 1):
        finalized = node.get_finalized(height)
        assert finalized is not None
        found |= {s.hash for s in finalized.block.txs if isinstance(s.tx.body, ModelDelta)}
    return found


async def test_withholder_deltas_are_never_aggregated_and_models_advance(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    seed_snapshot(tmp_path / "n0")
    liar = Withholder(KEYS[3], CHAIN_ID)
    nodes = make_nodes(hub, KEYS, tmp_path, GENESIS, {3: liar})
    honest = nodes[:3]
    withheld: set[bytes] = set()
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        for version in (0, 1):
            for index, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
                tx_hash = await submit_delta(node, key, index, version)
                if index == 3:
                    withheld.add(tx_hash)
            with trio.fail_after(120):
                while min(get_version(n) for n in honest) <= version:
                    await trio.sleep(0.05)
        with trio.fail_after(60):  # a few more heights, each with the withholder's turn
            await wait_for_height(honest, nodes[0].get_chain_state().height + 8)
        assert len(liar.withheld) == 2 and liar.counts["blob_withheld"] > 0
        assert assert_same_chain(honest) > 0
        for node in honest:
            assert not withheld & deltas_in_chain(node)
            assert all(h not in node.mempool for h in withheld)
            for version in (1, 2):
                rows = node.get_contributions(1, version)
                assert len(rows) == 3 and all(r.accepted for r in rows)
                assert KEYS[3].address not in {r.sender for r in rows}
        assert len({n.get_chain_state().tasks[1].model_hash for n in honest}) == 1
        nursery.cancel_scope.cancel()
