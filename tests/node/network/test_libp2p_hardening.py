"""Real hosts on loopback, one process: a hostile or silent peer cannot crash or stall a node."""

import contextlib
import os
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V12
from libp2p.tools.anyio_service import background_trio_service
from libp2p.utils.varint import encode_varint_prefixed

from node.network.config import Limits, NetworkConfig, ScoreParams
from node.network.errors import StreamTimeoutError
from node.network.libp2p_host import Libp2pStack, build_stack, parse_addrs
from node.network.libp2p_network import Libp2pNetwork
from node.network.port import NetworkPort
from node.network.store import MemoryStore
from node.network.values import ProtocolKind, TopicKind, Verdict, get_protocol_id, get_topic_name
from tests.node.network.conftest import CHAIN, GENESIS, make_config, wait_until

TXS = get_topic_name(CHAIN, TopicKind.TXS)
BLOB = TProtocol(get_protocol_id(CHAIN, ProtocolKind.BLOB))
VIOLATION = ScoreParams().violation_penalty
GARBAGE_RPC = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"


@asynccontextmanager
async def raw_stack(config: NetworkConfig) -> AsyncIterator[Libp2pStack]:
    """A py-libp2p stack without our network layer: free to misbehave."""
    stack = build_stack(config)
    async with (
        stack.host.run(parse_addrs(config.listen_addrs)),
        background_trio_service(stack.pubsub),
        background_trio_service(stack.gossipsub),
    ):
        await stack.pubsub.wait_until_ready()
        yield stack
        await stack.host.get_network().close()


@asynccontextmanager
async def victim_node(config: NetworkConfig) -> AsyncIterator[Libp2pNetwork]:
    store = MemoryStore(CHAIN, GENESIS)
    store.blocks.append(b"block-1")
    async with Libp2pNetwork(config, store.providers()) as node:
        yield node


async def dial(attacker: Libp2pStack, node: NetworkPort) -> ID:
    peer = ID.from_base58(node.peer_id)
    addrs = [a.decapsulate_code(421) for a in parse_addrs(tuple(node.listen_addrs()))]
    await attacker.host.connect(PeerInfo(peer, addrs))
    return peer


async def assert_serving(node: NetworkPort) -> None:
    """The node still answers a well-behaved peer."""
    async with victim_node(make_config(7)) as client:
        await client.connect(node.listen_addrs()[0])
        assert (await client.fetch_status(node.peer_id)).height == 1


async def test_garbage_meshsub_frames_are_scored_and_node_survives() -> None:
    async with victim_node(make_config(0)) as node, raw_stack(make_config(1)) as attacker:
        peer = await dial(attacker, node)
        attacker_id = attacker.host.get_id().to_base58()
        for _ in range(3):
            stream = await attacker.host.new_stream(peer, [PROTOCOL_ID_V12])
            await stream.write(encode_varint_prefixed(GARBAGE_RPC))
            await trio.sleep(0.3)
        assert node.get_score(attacker_id) == 0.0  # reset when banned
        await wait_until(lambda: node.is_banned(attacker_id))
        await wait_until(lambda: attacker_id not in node.connected_peers())
        with contextlib.suppress(Exception):
            await attacker.host.new_stream(peer, [BLOB])  # redials; must be dropped again
        await trio.sleep(0.2)
        assert attacker_id not in node.connected_peers()
        await assert_serving(node)


async def test_oversized_gossip_is_rejected_and_scored() -> None:
    async with victim_node(make_config(0)) as node, raw_stack(make_config(1)) as attacker:
        inbox = await node.subscribe(TXS, lambda _p, _d: Verdict.ACCEPT)
        await attacker.pubsub.subscribe(TXS)
        await dial(attacker, node)
        attacker_id = attacker.host.get_id().to_base58()
        await wait_until(lambda: attacker_id in node.topic_peers(TXS))
        await attacker.pubsub.publish(TXS, b"x" * (Limits().max_gossip_bytes + 1))
        await attacker.pubsub.publish(TXS, b"small and fine")
        with trio.fail_after(5):
            assert (await inbox.receive()).data == b"small and fine"
        assert node.get_score(attacker_id) == pytest.approx(-VIOLATION, abs=0.5)
        await assert_serving(node)


async def test_malformed_and_oversized_request_frames_are_scored() -> None:
    async with victim_node(make_config(0)) as node, raw_stack(make_config(1)) as attacker:
        peer = await dial(attacker, node)
        attacker_id = attacker.host.get_id().to_base58()
        junk = b"\xff\x00 not cbor"
        for frame in (struct.pack(">I", len(junk)) + junk, struct.pack(">I", 1 << 30)):
            stream = await attacker.host.new_stream(peer, [BLOB])
            await stream.write(frame)
        await wait_until(lambda: node.get_score(attacker_id) < -VIOLATION * 1.9)
        await assert_serving(node)


async def test_silent_server_times_out_the_fetch() -> None:
    limits = Limits(io_timeout_s=0.3, fetch_timeout_s=1.0)
    async with (
        victim_node(make_config(0, limits=limits)) as node,
        raw_stack(make_config(1)) as silent,
    ):

        async def never_answer(stream: INetStream) -> None:
            await trio.sleep_forever()

        silent.host.set_stream_handler(BLOB, never_answer)
        addr = f"{silent.host.get_addrs()[0]}"
        await node.connect(addr)
        started = trio.current_time()
        with pytest.raises(StreamTimeoutError):
            await node.fetch_blob(silent.host.get_id().to_base58(), b"\0" * 32, 100)
        assert trio.current_time() - started < 3.0  # fetch_timeout_s 1.0, plus a loaded CI box


async def test_silent_client_is_dropped_by_server() -> None:
    limits = Limits(io_timeout_s=0.3)
    async with (
        victim_node(make_config(0, limits=limits)) as node,
        raw_stack(make_config(1)) as attacker,
    ):
        stream = await attacker.host.new_stream(await dial(attacker, node), [BLOB])
        with trio.fail_after(2):
            assert await read_until_closed(stream) == b""


async def read_until_closed(stream: INetStream) -> bytes:
    try:
        return bytes(await stream.read(100))
    except Exception:
        return b""


def count_tasks() -> int:
    def walk(task: trio.lowlevel.Task) -> int:
        return 1 + sum(walk(child) for n in task.child_nurseries for child in n.child_tasks)

    return walk(trio.lowlevel.current_root_task())


def count_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def count_after_visits(rounds: int) -> list[tuple[int, int]]:
    """(tasks, fds) in this process after each of ``rounds`` peer visits to one node."""
    counts: list[tuple[int, int]] = []
    async with victim_node(make_config(0)) as node:
        await node.subscribe(TXS, accept_all)
        for _ in range(rounds):
            async with victim_node(make_config(1)) as visitor:
                await visitor.subscribe(TXS, accept_all)
                await visitor.connect(node.listen_addrs()[0])
                await wait_until(lambda v=visitor: v.peer_id in node.topic_peers(TXS))  # type: ignore[misc]
                await visitor.fetch_status(node.peer_id)
            await wait_until(lambda: not node.connected_peers())
            await trio.sleep(0.3)
            counts.append((count_tasks(), count_fds()))
    return counts


def accept_all(_peer: str, _data: bytes) -> Verdict:
    return Verdict.ACCEPT


async def test_peers_coming_and_going_leak_no_tasks_or_fds() -> None:
    counts = await count_after_visits(4)
    (tasks_first, fds_first), (tasks_last, fds_last) = counts[0], counts[-1]
    assert tasks_last <= tasks_first + 1, counts
    assert fds_last <= fds_first, counts


def test_gossip_seqnos_of_a_restarted_node_never_repeat() -> None:
    """py-libp2p numbers a node's messages from int(time.time()), one per publish: a node that
    published faster than 1 msg/s and restarted reused (from, seqno) pairs, and its peers
    dropped everything it sent as equivocation (seen in a real kill/restart run)."""
    config = NetworkConfig("seqnos", bytes(32))
    first = build_stack(config)
    first.pubsub.counter += 10_000  # a busy first life: far more messages than seconds
    restarted = build_stack(config)
    assert restarted.pubsub.counter > first.pubsub.counter
