"""A crash in the middle of a SQLite write: a validator's chain store is written by a real child
process (``store_writer``, committing final blocks as the driver does after block sync) that is
SIGKILLed at random moments, several times. Each time the store reopens whole (SQLite's check
and the chain of hashes), keeps every block the writer reported committed, and holds a prefix of
the chain: no gap, no half-written block, state and next validator set with the last block. The
validator then runs on that store, catches up from its peers and never signs twice.

The writer does nothing but commit (about 0.5 ms a block on the development machine), so a kill
lands inside ``save_finalized``; across kills both outcomes show: the block in flight kept (its
commit frame had reached the OS) and lost (the WAL frames without a commit are ignored)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import trio
import trio.testing

from consensus.ledger import process_block
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.state import ChainState
from consensus.transactions import Transfer
from node.chain.chain_node import ChainNode
from node.chain.signer import SIGNER_STATE_FILE, load_last_signed
from node.network.memory import MemoryHub
from node.storage.chain_store import ChainStore
from tests.node.chain.store_writer import Feed, write_feed
from tests.node.chain.test_chain_node import (
    KEYS,
    make_node,
    run_in_scope,
    wait_for_height,
)
from tests.node.chain.test_torn_wal import assert_rejoins_without_double_signing

KILLS = 4
FEED_BLOCKS = 24
"""Blocks the writer may commit: more than it reaches before the last kill."""


def build_feed(source: ChainNode, state: ChainState, count: int) -> Feed:
    """The final blocks after ``state`` from ``source``, each with the state after it."""
    feed: Feed = []
    for height in range(state.height + 1, state.height + count + 1):
        finalized = source.storage.store.get_finalized(height)
        round_ = source.storage.store.get_round(height)
        assert finalized is not None and round_ is not None
        state = process_block(state, finalized.block).state
        feed.append((finalized, round_, state))
    return feed


def kill_mid_write(db: Path, feed_path: Path, chooser: random.Random) -> list[int]:
    """Run the writer, SIGKILL it after a random number of commits; the heights it reported."""
    args = [sys.executable, "-m", "tests.node.chain.store_writer", str(db), str(feed_path)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "open"
    reported = [int(child.stdout.readline())]  # it is committing block after block now
    time.sleep(chooser.uniform(0.0, 0.002))  # a commit takes about 0.5 ms here
    child.kill()
    child.wait(10)
    reported += [int(line) for line in child.stdout.read().split()]  # printed before it died
    child.stdout.close()
    return reported


def check_prefix(db: Path, feed: Feed, reported: list[int]) -> int:
    """Reopen the store (its integrity check runs) and check it holds a whole prefix."""
    store = ChainStore(db)
    try:
        top = store.get_height()
        assert max(reported) <= top <= max(reported) + 1, f"store at {top}, reported {reported}"
        expected = {f.block.height: (f, s) for f, _, s in feed}
        for height in range(1, top + 1):
            stored = store.get_finalized(height)
            assert stored is not None, f"gap at {height}"
            if height in expected:
                assert stored == expected[height][0], f"block {height} differs"
        assert store.get_finalized(top + 1) is None
        latest = store.get_latest_state()
        assert latest is not None and latest == expected[top][1], "state is not the last block's"
        assert store.get_validator_set(top + 1) == latest.validators
        return top
    finally:
        store.close()


async def test_crash_mid_sqlite_write_keeps_a_prefix_and_the_node_never_signs_twice(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    nodes = [make_node(hub, k, homes[i], KEYS) for i, k in enumerate(KEYS)]
    payee = make_keys(1, namespace=44)[0].address
    async with trio.open_nursery() as nursery:
        scopes = [trio.CancelScope() for _ in nodes]
        for node, scope in zip(nodes, scopes, strict=True):
            await nursery.start(run_in_scope, node, scope)
        for nonce in range(12):  # blocks with transactions: more rows per commit
            await nodes[1].submit_transaction(
                sign_transaction(KEYS[1], "memnet", nonce, Transfer(payee, 1 + nonce))
            )
        with trio.fail_after(60):
            await wait_for_height(nodes, 3)
        scopes[3].cancel()
        await trio.sleep(0.5)
        with trio.fail_after(120):
            await wait_for_height(nodes[:3], nodes[3].get_state().chain.height + FEED_BLOCKS + 2)
        # The others are paused while this runs (it blocks the loop; the clock is virtual).
        db = homes[3] / "chain.db"
        stored = ChainStore(db)
        start = stored.get_latest_state()
        stored.close()
        assert start is not None
        feed = build_feed(nodes[0], start, FEED_BLOCKS)
        write_feed(tmp_path / "feed.pickle", feed)
        signed_before = load_last_signed(homes[3] / SIGNER_STATE_FILE)
        chooser = random.Random(12)
        top = start.height
        for _ in range(KILLS):
            reported = kill_mid_write(db, tmp_path / "feed.pickle", chooser)
            assert min(reported) == top + 1, "the writer resumed above the stored height"
            top = check_prefix(db, feed, reported)
        assert top < start.height + FEED_BLOCKS, "the writer ran out of blocks: no kill mid-write"
        reborn = make_node(hub, KEYS[3], homes[3], KEYS)
        assert reborn.get_state().chain.height == top
        await nursery.start(reborn.run)
        target = nodes[0].get_state().chain.height + 4
        await assert_rejoins_without_double_signing(nodes, reborn, target)
        signed_after = load_last_signed(homes[3] / SIGNER_STATE_FILE)
        assert signed_before is not None and signed_after is not None
        assert signed_after.position > signed_before.position, "it signs again, further on"
        nursery.cancel_scope.cancel()
