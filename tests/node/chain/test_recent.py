"""What a node keeps for re-sending stays bounded however many heights go by."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from consensus.crypto import KeyPair
from consensus.ledger.devnet import make_keys
from consensus.messages import SignedVote, Vote, VoteType
from node.chain.recent import RecentMessages
from node.network.memory import MemoryHub
from tests.node.chain.test_chain_node import KEYS, make_node, wait_for_height

KEY: KeyPair = make_keys(1, namespace=5)[0]


def vote(height: int, round_: int, vote_type: VoteType = VoteType.PREVOTE) -> SignedVote:
    body = Vote(vote_type, height, round_, bytes(32), KEY.address)
    return SignedVote(body, KEY.sign(body.sign_bytes("c")))


def test_recent_keeps_only_the_newest_height_over_many_heights() -> None:
    recent = RecentMessages()
    for height in range(1, 5_001):
        recent.add(vote(height, 0, VoteType.PREVOTE))
        recent.add(vote(height, 0, VoteType.PRECOMMIT))
        assert len(recent) <= 2
    assert {m.vote.height for m in recent.get_latest_round(5_000)} == {5_000}  # type: ignore[union-attr]


def test_recent_resends_the_latest_round_and_ignores_old_heights() -> None:
    recent = RecentMessages()
    for message in [vote(7, 0), vote(7, 1), vote(7, 1, VoteType.PRECOMMIT), vote(6, 3)]:
        recent.add(message)
    assert recent.get_latest_round(7) == [vote(7, 1), vote(7, 1, VoteType.PRECOMMIT)]
    assert recent.get_latest_round(8) == [] and len(recent) == 0


def test_recent_is_capped_when_a_height_runs_through_many_rounds() -> None:
    recent = RecentMessages(limit=10)
    for round_ in range(100):
        recent.add(vote(3, round_))
    assert len(recent) == 10
    assert recent.get_latest_round(3) == [vote(3, 99)]


async def test_recent_stays_bounded_in_running_nodes(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(120):
            await wait_for_height(nodes, 25)
        # a proposal and two votes of the newest height, at most one height in between
        assert all(len(node.recent) <= 6 for node in nodes), [len(n.recent) for n in nodes]
        assert all(len(node.driver._proposal_seen_ms) <= 2 for node in nodes)
        nursery.cancel_scope.cancel()
