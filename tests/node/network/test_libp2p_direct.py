"""Direct delivery (patch 14) on real py-libp2p nodes: the copies it spares, the messages it
still forwards, a stale or lying neighbour list, and a hostile peer's malformed list."""

import collections
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import trio
from libp2p.peer.id import ID

from node.network import libp2p_patches
from node.network.libp2p_network import Libp2pNetwork
from node.network.neighbours import NeighbourList, encode_neighbours, get_neighbours_topic
from node.network.peer_id import compute_peer_id
from node.network.peer_metrics import get_sample_name
from node.network.port import NetworkPort
from node.network.scoring import Offence
from node.network.values import GossipMessage, Verdict
from tests.node.network.conftest import CHAIN, NodeFactory, make_config, make_seed, wait_until
from tests.node.network.test_libp2p_hardening import dial, raw_stack

TOPIC = "/direct/test/1"
NEIGHBOURS = get_neighbours_topic(CHAIN)


@asynccontextmanager
async def libp2p_nodes(count: int) -> AsyncIterator[list[Libp2pNetwork]]:
    """``count`` unconnected real nodes, each subscribed to ``TOPIC``."""
    async with trio.open_nursery() as nursery:
        factory = NodeFactory("libp2p", nursery)
        nodes = []
        for index in range(count):
            node, _ = await factory.start(index)
            assert isinstance(node, Libp2pNetwork)
            nodes.append(node)
        yield nodes
        nursery.cancel_scope.cancel()


async def connect(node: NetworkPort, other: NetworkPort) -> None:
    await node.connect(other.listen_addrs()[0])


def count_reads(node: Libp2pNetwork) -> collections.Counter[bool]:
    """Count the ``TOPIC`` messages the node's pubsub reads from peers, by whether it had
    seen each already (the library's own method still handles each one)."""
    pubsub = node._stack.pubsub
    original = pubsub.push_msg
    reads: collections.Counter[bool] = collections.Counter()

    async def push_msg(forwarder: Any, msg: Any) -> None:
        if forwarder != pubsub.my_id and TOPIC in msg.topicIDs:
            reads[pubsub._is_msg_seen(msg)] += 1
        await original(forwarder, msg)

    setattr(pubsub, "push_msg", push_msg)  # noqa: B010 - on this instance only
    return reads


def direct_of(node: Libp2pNetwork) -> Any:
    assert node._direct is not None
    return node._direct


def peer_bytes(node: NetworkPort) -> bytes:
    return ID.from_base58(node.peer_id).to_bytes()


async def wait_for_lists(node: Libp2pNetwork, peers: list[Libp2pNetwork], count: int) -> None:
    """Until ``node`` holds a list naming ``count`` neighbours from each of ``peers``."""

    def complete() -> bool:
        book = direct_of(node).book
        lists = [book.get(peer_bytes(peer)) for peer in peers]
        return all(listing is not None and len(listing.peers) == count for listing in lists)

    await wait_until(complete, timeout_s=15)


async def receive(channel: trio.MemoryReceiveChannel[GossipMessage], count: int) -> set[bytes]:
    got: set[bytes] = set()
    with trio.fail_after(10):
        while len(got) < count:
            got.add((await channel.receive()).data)
    return got


def more_than(node: Libp2pNetwork, sample: str, value: float) -> bool:
    return node.get_peer_metrics()[sample] > value


def accept(_peer: str, _data: bytes) -> Verdict:
    return Verdict.ACCEPT


@contextmanager
def without_direct_delivery() -> Iterator[None]:
    names = frozenset({"direct_delivery"})
    libp2p_patches.revert_patches(names)
    try:
        yield
    finally:
        libp2p_patches.apply_patches(names)


async def publish_round(nodes: list[Libp2pNetwork], tag: bytes, per_node: int) -> set[bytes]:
    sent = set()
    for index in range(per_node):
        for node in nodes:
            data = b"%s-%d-%s" % (tag, index, node.peer_id.encode())
            await node.publish(TOPIC, data)
            sent.add(data)
    return sent


async def test_a_full_mesh_reads_each_message_once_and_twice_as_often_without_the_patch() -> None:
    async with libp2p_nodes(4) as nodes:
        for index, node in enumerate(nodes):
            for earlier in nodes[:index]:
                await connect(node, earlier)
        channels = [await node.subscribe(TOPIC, accept) for node in nodes]
        for node in nodes:
            await wait_for_lists(node, [peer for peer in nodes if peer is not node], 3)
        reads = [count_reads(node) for node in nodes]

        sent = await publish_round(nodes, b"direct", 10)
        for node, channel in zip(nodes, channels, strict=True):
            mine = {data for data in sent if data.endswith(node.peer_id.encode())}
            assert await receive(channel, 30) == sent - mine
        await trio.sleep(2.5)  # two heartbeats: the owed ids went out as IHAVE
        assert [r[False] for r in reads] == [30] * 4
        assert [r[True] for r in reads] == [0] * 4  # no copy read twice, no IWANT drawn
        assert sum(direct_of(node).copies_spared for node in nodes) >= 4 * 30 * 2

        with without_direct_delivery():
            sent = await publish_round(nodes, b"gossip", 10)
            for channel in channels:
                assert len(await receive(channel, 30)) == 30
            await trio.sleep(0.5)
        assert sum(r[True] for r in reads) >= 4 * 30  # the library: each message up to 3 times


async def make_line(
    origin: Libp2pNetwork, relay: Libp2pNetwork, far: Libp2pNetwork
) -> trio.MemoryReceiveChannel[GossipMessage]:
    """origin - relay - far, all on ``TOPIC``; far's channel once the relay holds both lists."""
    await connect(relay, origin)
    await connect(far, relay)
    channel = await far.subscribe(TOPIC, accept)
    for node in (origin, relay):
        await node.subscribe(TOPIC, accept)
    await wait_for_lists(relay, [origin, far], 1)
    return channel


async def test_a_peer_that_is_not_connected_to_the_origin_still_gets_each_message_at_once() -> None:
    async with libp2p_nodes(3) as (origin, relay, far):
        channel = await make_line(origin, relay, far)
        assert origin.peer_id not in far.connected_peers()
        forwarded = direct_of(relay).copies_forwarded

        sent = {b"line-%d" % index for index in range(10)}
        for data in sent:
            await origin.publish(TOPIC, data)
        with trio.fail_after(0.9):  # well before a heartbeat could have carried an IHAVE
            assert await receive(channel, 10) == sent
        assert direct_of(relay).copies_forwarded >= forwarded + 10
        assert direct_of(far).book.get(peer_bytes(origin)) is None  # lists travel one hop


async def test_a_list_relayed_by_a_plain_gossipsub_peer_is_not_kept() -> None:
    async with libp2p_nodes(2) as (origin, far), raw_stack(make_config(8)) as relay:
        await dial(relay, origin)
        await dial(relay, far)
        await relay.pubsub.subscribe(NEIGHBOURS)  # it forwards what it gets, as gossipsub does
        assert origin.peer_id not in far.connected_peers()
        await wait_until(lambda: direct_of(far).lists_ignored > 0, timeout_s=15)
        assert direct_of(far).book.get(peer_bytes(origin)) is None
        metrics = far.get_peer_metrics()
        assert metrics["deltachain_gossip_neighbour_lists_ignored_total"] > 0
        assert metrics["deltachain_gossip_neighbour_lists"] == 0  # the relay announces none


async def test_a_peer_whose_list_is_wrong_gets_the_messages_by_ihave_within_a_heartbeat() -> None:
    async with libp2p_nodes(3) as (origin, relay, far):
        channel = await make_line(origin, relay, far)
        # far claims to be connected to origin, with a seq far ahead of its true lists
        claim = NeighbourList(2**63, frozenset({peer_bytes(origin), peer_bytes(relay)}))
        await far.publish(NEIGHBOURS, encode_neighbours(claim))
        book = direct_of(relay).book
        await wait_until(lambda: book.reaches_directly(peer_bytes(far), peer_bytes(origin)))
        spared = direct_of(relay).copies_spared

        sent = {b"stale-%d" % index for index in range(10)}
        for data in sent:
            await origin.publish(TOPIC, data)
        with trio.fail_after(3):  # the relay's next heartbeat names them, far asks for them
            assert await receive(channel, 10) == sent
        assert direct_of(relay).copies_spared >= spared + 10


async def test_a_hostile_peers_malformed_list_is_rejected_and_scored() -> None:
    async with trio.open_nursery() as nursery:
        victim, _ = await NodeFactory("libp2p", nursery).start(0)
        assert isinstance(victim, Libp2pNetwork)
        async with raw_stack(make_config(9)) as attacker:
            await dial(attacker, victim)
            await attacker.pubsub.subscribe(NEIGHBOURS)
            name = get_sample_name(
                "deltachain_peer_rejections_total", reason=Offence.REJECTED_MESSAGE.value
            )
            for garbage in (b"\xff\xfe", encode_neighbours(NeighbourList(1, frozenset()))[:-1]):
                rejected = victim.get_peer_metrics()[name]
                await attacker.pubsub.publish(NEIGHBOURS, garbage)
                await wait_until(partial(more_than, victim, name, rejected))
            attacker_id = compute_peer_id(make_seed(9))
            assert attacker_id in victim.connected_peers()
            assert direct_of(victim).book.get(ID.from_base58(attacker_id).to_bytes()) is None
            assert victim.get_peer_metrics()["deltachain_gossip_neighbour_lists"] == 0
        nursery.cancel_scope.cancel()
