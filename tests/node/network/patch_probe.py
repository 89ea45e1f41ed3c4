"""Run one py-libp2p bug scenario in this process and report whether the victim survived.

Usage: ``python tests/node/network/patch_probe.py SCENARIO [PATCH ...]`` applies only the named
patches, runs the scenario and exits 0 if the victim host is still running afterwards, or
3 (printing the exception types) if the scenario ended it. The tests in
``test_libp2p_patches.py`` run it with and without each patch.

Scenarios: ``garbage-meshsub`` and ``raising-handler`` (a bare attacker host writes one frame),
``bad-key`` (one published message whose signing key does not parse) and
``ban-during-traffic`` (the victim bans peers it is sending gossip to, as a node's ban did:
blacklist in pubsub and disconnect at once; up to ``BAN_ROUNDS`` peers, one at a time).
"""

import contextlib
import hashlib
import sys

import trio
from libp2p.custom_types import TProtocol
from libp2p.network.stream.exceptions import StreamError
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V12
from libp2p.tools.anyio_service import background_trio_service
from libp2p.utils.varint import encode_varint_prefixed

from node.network import libp2p_patches
from node.network.attacker import make_bad_key_rpc
from node.network.config import NetworkConfig
from node.network.libp2p_host import Libp2pStack, build_host, build_stack, parse_addrs

CRASHED = 3
BAN_ROUNDS = 3
TOPIC = "probe-topic"
LISTEN = ("/ip4/127.0.0.1/tcp/0",)
RAISING_PROTOCOL = TProtocol("/probe/raise/1")
GARBAGE_RPC = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
"""A protobuf field 1 (length-delimited) whose varint length overflows: DecodeError."""


def make_config(index: int) -> NetworkConfig:
    return NetworkConfig("probe", hashlib.sha256(b"probe-%d" % index).digest())


async def raise_in_handler(_stream: object) -> None:
    raise RuntimeError("handler bug")


async def attack(scenario: str) -> None:
    victim = build_stack(make_config(0))
    attacker = build_host(make_config(1))
    victim.host.set_stream_handler(RAISING_PROTOCOL, raise_in_handler)
    listen = parse_addrs(LISTEN)
    async with (
        victim.host.run(listen),
        attacker.run(listen),
        background_trio_service(victim.pubsub),
        background_trio_service(victim.gossipsub),
    ):
        await victim.pubsub.wait_until_ready()
        await victim.pubsub.subscribe(TOPIC)
        info = PeerInfo(victim.host.get_id(), victim.host.get_addrs())
        await attacker.connect(info)
        protocol = RAISING_PROTOCOL if scenario == "raising-handler" else PROTOCOL_ID_V12
        frame = encode_varint_prefixed(GARBAGE_RPC)
        if scenario == "bad-key":
            frame = make_bad_key_rpc(TOPIC)
        stream = await attacker.new_stream(victim.host.get_id(), [protocol])
        # The victim may reset the stream first; only the victim's fate counts.
        with contextlib.suppress(StreamError):
            await stream.write(frame)
        await trio.sleep(1.0)
        print("victim survived")


async def chatter(victim: Libp2pStack) -> None:
    """Task: the victim gossips without pause, so it is writing to its peers' streams."""
    for index in range(1_000_000):
        await victim.pubsub.publish(TOPIC, b"chatter %d" % index)
        await trio.sleep(0)


async def ban_one_peer(victim: Libp2pStack, index: int) -> None:
    """Connect a subscribed peer, then ban it mid-traffic the way a node's ban did."""
    peer = build_stack(make_config(index))
    async with (
        peer.host.run(parse_addrs(LISTEN)),
        background_trio_service(peer.pubsub),
        background_trio_service(peer.gossipsub),
    ):
        await peer.pubsub.wait_until_ready()
        await peer.pubsub.subscribe(TOPIC)
        await peer.host.connect(PeerInfo(victim.host.get_id(), victim.host.get_addrs()))
        peer_id = peer.host.get_id()
        with trio.fail_after(10):
            while peer_id not in victim.pubsub.peer_topics.get(TOPIC, set()):
                await trio.sleep(0.01)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(chatter, victim)
            await trio.sleep(0.05)
            victim.pubsub.add_to_blacklist(peer_id)
            nursery.start_soon(victim.host.disconnect, peer_id)
            await trio.sleep(0.3)
            nursery.cancel_scope.cancel()
        await peer.host.get_network().close()


async def ban_during_traffic(_scenario: str) -> None:
    victim = build_stack(make_config(0))
    async with (
        victim.host.run(parse_addrs(LISTEN)),
        background_trio_service(victim.pubsub),
        background_trio_service(victim.gossipsub),
    ):
        await victim.pubsub.wait_until_ready()
        await victim.pubsub.subscribe(TOPIC)
        for index in range(1, BAN_ROUNDS + 1):
            await ban_one_peer(victim, index)
        print("victim survived")
        await victim.host.get_network().close()


def collect_types(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [name for sub in exc.exceptions for name in collect_types(sub)]
    return [type(exc).__name__]


def main() -> int:
    scenario, patches = sys.argv[1], frozenset(sys.argv[2:])
    libp2p_patches.apply_patches(patches)
    try:
        trio.run(ban_during_traffic if scenario == "ban-during-traffic" else attack, scenario)
    except BaseException as exc:
        print("victim crashed:", " ".join(collect_types(exc)))
        return CRASHED
    return 0


if __name__ == "__main__":
    sys.exit(main())
