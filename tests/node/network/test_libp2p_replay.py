"""What a node sends a peer that just joined: only messages its own validator accepts now.

py-libp2p replays the message cache's window (3 heartbeats) to every new peer and flushes the
messages it queued while a connected peer had not yet subscribed; for votes that meant many old
heights (patches ``fresh_replay_only`` and ``fresh_pending_flush``).
"""

from collections.abc import Awaitable, Callable

import pytest
import trio
from libp2p.abc import ISubscriptionAPI

from node.network import libp2p_patches
from node.network.values import Verdict
from tests.node.network.conftest import make_config, wait_until
from tests.node.network.test_libp2p_hardening import TXS, dial, raw_stack, victim_node

STALE = [b"stale %d" % index for index in range(8)]
FRESH = b"fresh"
COLLECT_S = 0.6


def accept_fresh(_peer: str, data: bytes) -> Verdict:
    """Like a vote validator: messages of another height are IGNOREd."""
    return Verdict.ACCEPT if data.startswith(b"fresh") else Verdict.IGNORE


async def collect(subscription: ISubscriptionAPI, seconds: float) -> set[bytes]:
    """The data of every message that arrives within ``seconds``."""
    received: set[bytes] = set()

    async def receive_all() -> None:
        while True:
            received.add((await subscription.get()).data)

    with trio.move_on_after(seconds):
        await receive_all()
    return received


async def join_after_publishes() -> set[bytes]:
    """The node gossips stale and fresh messages, then a peer connects: what it receives."""
    async with victim_node(make_config(0)) as node, raw_stack(make_config(1)) as joiner:
        await node.subscribe(TXS, accept_fresh)
        for data in [*STALE, FRESH]:
            await node.publish(TXS, data)
        subscription = await joiner.pubsub.subscribe(TXS)
        await dial(joiner, node)
        return await collect(subscription, COLLECT_S)


async def subscribe_after_publishes() -> set[bytes]:
    """A connected peer subscribes only after the node gossiped: what it receives."""
    async with victim_node(make_config(0)) as node, raw_stack(make_config(1)) as joiner:
        await node.subscribe(TXS, accept_fresh)
        node_id = await dial(joiner, node)
        await wait_until(lambda: node_id in joiner.pubsub.peers)
        await trio.sleep(0.2)  # the node registers its own stream to the joiner
        for data in [*STALE, FRESH]:
            await node.publish(TXS, data)
        subscription = await joiner.pubsub.subscribe(TXS)
        return await collect(subscription, COLLECT_S)


SCENARIOS = [
    (join_after_publishes, "fresh_replay_only"),
    (subscribe_after_publishes, "fresh_pending_flush"),
]


@pytest.mark.parametrize(("scenario", "patch"), SCENARIOS)
async def test_new_peer_gets_only_messages_the_validator_accepts_now(
    scenario: Callable[[], Awaitable[set[bytes]]], patch: str
) -> None:
    libp2p_patches.revert_patches(frozenset({patch}))
    try:
        unpatched = await scenario()
    finally:
        libp2p_patches.apply_patches(frozenset({patch}))
    assert unpatched & set(STALE), unpatched
    assert await scenario() == {FRESH}
