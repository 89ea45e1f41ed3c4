"""Run one py-libp2p bug scenario in this process and report whether the victim survived.

Usage: ``python tests/node/network/patch_probe.py SCENARIO [PATCH ...]`` applies only the named
patches, runs the scenario and exits 0 if the victim host is still running afterwards, or
3 (printing the exception types) if the scenario ended it. The tests in
``test_libp2p_patches.py`` run it with and without each patch.
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
from node.network.config import NetworkConfig
from node.network.libp2p_host import build_host, build_stack, parse_addrs

CRASHED = 3
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
    listen = parse_addrs(("/ip4/127.0.0.1/tcp/0",))
    async with (
        victim.host.run(listen),
        attacker.run(listen),
        background_trio_service(victim.pubsub),
        background_trio_service(victim.gossipsub),
    ):
        await victim.pubsub.wait_until_ready()
        info = PeerInfo(victim.host.get_id(), victim.host.get_addrs())
        await attacker.connect(info)
        protocol = PROTOCOL_ID_V12 if scenario == "garbage-meshsub" else RAISING_PROTOCOL
        stream = await attacker.new_stream(victim.host.get_id(), [protocol])
        # The victim may reset the stream first; only the victim's fate counts.
        with contextlib.suppress(StreamError):
            await stream.write(encode_varint_prefixed(GARBAGE_RPC))
        await trio.sleep(1.0)
        print("victim survived")


def collect_types(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [name for sub in exc.exceptions for name in collect_types(sub)]
    return [type(exc).__name__]


def main() -> int:
    scenario, patches = sys.argv[1], frozenset(sys.argv[2:])
    libp2p_patches.apply_patches(patches)
    try:
        trio.run(attack, scenario)
    except BaseException as exc:
        print("victim crashed:", " ".join(collect_types(exc)))
        return CRASHED
    return 0


if __name__ == "__main__":
    sys.exit(main())
