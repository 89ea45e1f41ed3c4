"""A validator stopped mid-height whose consensus WAL is then torn (cut at a random offset,
garbage appended, or both) restarts, keeps every final block, catches up, and never signs
twice (no double-sign evidence tombstones it on any node)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import trio
import trio.testing

from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.chain.test_chain_node import (
    KEYS,
    block_hashes,
    make_node,
    run_in_scope,
    wait_for_height,
)


async def assert_rejoins_without_double_signing(
    nodes: list[ChainNode], reborn: ChainNode, target: int
) -> None:
    """The restarted validator 3 reaches ``target`` on the others' blocks, tombstoned nowhere."""
    with trio.fail_after(120):
        await wait_for_height([*nodes[:3], reborn], target)
    assert block_hashes(reborn, target) == block_hashes(nodes[0], target)
    for node in [*nodes[:3], reborn]:
        candidate = node.get_state().chain.candidates[KEYS[3].address]
        assert not candidate.tombstoned, "the restarted validator signed twice"


def tear(wal: Path, damage: str, seed: int) -> None:
    data = wal.read_bytes()
    chooser = random.Random(seed)
    if damage in ("cut", "cut+garbage") and data:
        data = data[: chooser.randrange(len(data))]
    if damage in ("garbage", "cut+garbage"):
        data += chooser.randbytes(chooser.randrange(1, 300))
    wal.write_bytes(data)


@pytest.mark.parametrize(("damage", "seed"), [("cut", 1), ("garbage", 2), ("cut+garbage", 3)])
async def test_torn_wal_restart_keeps_final_blocks_and_never_double_signs(
    tmp_path: Path, autojump_clock: trio.testing.MockClock, damage: str, seed: int
) -> None:
    hub = MemoryHub(latency_s=0.005)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    nodes = [make_node(hub, k, homes[i], KEYS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        scopes = [trio.CancelScope() for _ in nodes]
        for node, scope in zip(nodes, scopes, strict=True):
            await nursery.start(run_in_scope, node, scope)
        with trio.fail_after(60):
            await wait_for_height(nodes, 3 + seed)
        await trio.sleep(random.Random(seed).uniform(0.0, 0.3))  # stop somewhere mid-height
        final_before = nodes[3].get_state().chain.height
        scopes[3].cancel()
        await trio.sleep(1)  # it leaves the hub; the others go on
        tear(homes[3] / "consensus.wal", damage, seed)
        reborn = make_node(hub, KEYS[3], homes[3], KEYS)
        assert reborn.get_state().chain.height >= final_before, "a final block was lost"
        await nursery.start(reborn.run)
        await assert_rejoins_without_double_signing(nodes, reborn, final_before + 6)
        nursery.cancel_scope.cancel()
