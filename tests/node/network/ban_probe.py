"""Ban hostile peers of a real node while it gossips, in this process; report if it survived.

Usage: ``python -m tests.node.network.ban_probe MODE ROUNDS [PATCH ...]`` (from the repository
root) builds a :class:`Libp2pNetwork` node with the named py-libp2p patches reverted (all others
applied), lets it gossip without pause, and has ``ROUNDS`` hostile py-libp2p peers, one after
the other, get themselves banned: ``garbage-gossip`` (random messages its validator rejects) or
``bad-blocks`` (malformed block-range requests). Exits 0 if the node is still running and
serving afterwards, or 3 (printing the exception types) if a ban ended it. The tests in
``test_libp2p_bans.py`` run it with and without ``safe_blacklist_teardown``.
"""

import contextlib
import os
import struct
import sys

import trio
from libp2p.custom_types import TProtocol

from node.network import libp2p_patches
from node.network.libp2p_host import Libp2pStack
from node.network.libp2p_network import Libp2pNetwork
from node.network.port import NetworkPort
from node.network.values import ProtocolKind, Verdict, get_protocol_id
from tests.node.network.conftest import CHAIN, make_config, wait_until
from tests.node.network.patch_probe import CRASHED, collect_types
from tests.node.network.test_libp2p_hardening import (
    TXS,
    assert_serving,
    dial,
    raw_stack,
    victim_node,
)

BLOCKS = TProtocol(get_protocol_id(CHAIN, ProtocolKind.BLOCKS))
JUNK = b"\xff\x00 not cbor"


def accept_chatter(_peer: str, data: bytes) -> Verdict:
    return Verdict.ACCEPT if data.startswith(b"chatter") else Verdict.REJECT


async def chatter(node: NetworkPort) -> None:
    """Task: the node gossips without pause, so each ban lands while it writes to the peer."""
    index = 0
    while True:
        index += 1
        await node.publish(TXS, b"chatter %d" % index)
        await trio.sleep(0)


async def send_garbage_gossip(attacker: Libp2pStack, node: Libp2pNetwork) -> None:
    attacker_id = attacker.host.get_id().to_base58()
    await wait_until(lambda: attacker_id in node.topic_peers(TXS))
    for _ in range(6):
        await attacker.pubsub.publish(TXS, os.urandom(64))


async def send_bad_blocks(attacker: Libp2pStack, node: Libp2pNetwork) -> None:
    peer = await dial(attacker, node)
    for _ in range(3):
        stream = await attacker.host.new_stream(peer, [BLOCKS])
        await stream.write(struct.pack(">I", len(JUNK)) + JUNK)
        with trio.move_on_after(5), contextlib.suppress(Exception):
            await stream.read(100)  # the node answers each junk request with a reset


async def get_banned(node: Libp2pNetwork, index: int, mode: str) -> None:
    async with raw_stack(make_config(index)) as attacker:
        await attacker.pubsub.subscribe(TXS)  # so that the node gossips to it
        await dial(attacker, node)
        attacker_id = attacker.host.get_id().to_base58()
        await (send_garbage_gossip if mode == "garbage-gossip" else send_bad_blocks)(attacker, node)
        await wait_until(lambda: node.is_banned(attacker_id), timeout_s=20)
        await wait_until(lambda: attacker_id not in node.connected_peers(), timeout_s=20)


async def ban_while_gossiping(mode: str, rounds: int) -> None:
    async with victim_node(make_config(0)) as node, trio.open_nursery() as nursery:
        await node.subscribe(TXS, accept_chatter)
        nursery.start_soon(chatter, node)
        for index in range(10, 10 + rounds):
            await get_banned(node, index, mode)
        await assert_serving(node)
        print("victim survived")
        nursery.cancel_scope.cancel()


def main() -> int:
    mode, rounds, reverted = sys.argv[1], int(sys.argv[2]), frozenset(sys.argv[3:])
    libp2p_patches.revert_patches(reverted)
    try:
        trio.run(ban_while_gossiping, mode, rounds)
    except BaseException as exc:
        print("victim crashed:", " ".join(collect_types(exc)))
        return CRASHED
    return 0


if __name__ == "__main__":
    sys.exit(main())
