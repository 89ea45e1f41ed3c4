"""A hostile peer for resilience tests: garbage frames and oversized gossip.

``python -m node.network.attacker --target /ip4/.../p2p/<id> --topic T --rounds 3`` runs a
bare py-libp2p stack (none of our limits), connects to the target and, each round, sends
one malformed /meshsub frame, one gossip message over the size limit and one junk request
on the blob protocol. It prints one JSON line per round and exits.
"""

import argparse
import hashlib
import json
import struct
import sys

import multiaddr
import trio
from libp2p.custom_types import TProtocol
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V12
from libp2p.tools.anyio_service import background_trio_service
from libp2p.utils.varint import encode_varint_prefixed

from node.network.config import NetworkConfig
from node.network.libp2p_host import Libp2pStack, build_stack, parse_addrs
from node.network.values import ProtocolKind, get_protocol_id

GARBAGE_RPC = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
"""Protobuf field 1 with an overflowing varint length: DecodeError in an unpatched node."""
_JUNK_REQUEST = b"\xff\x00 not cbor"


async def send_round(stack: Libp2pStack, args: argparse.Namespace) -> list[str]:
    """One round of abuse; returns what the target did to us (errors are expected)."""
    outcomes: list[str] = []
    peer_id = info_from_p2p_addr(multiaddr.Multiaddr(args.target)).peer_id
    blob = TProtocol(get_protocol_id(args.chain, ProtocolKind.BLOB))
    frames = [
        (PROTOCOL_ID_V12, encode_varint_prefixed(GARBAGE_RPC)),
        (blob, struct.pack(">I", len(_JUNK_REQUEST)) + _JUNK_REQUEST),
    ]
    for protocol, frame in frames:
        try:
            stream = await stack.host.new_stream(peer_id, [protocol])
            await stream.write(frame)
            outcomes.append(f"{protocol}:sent")
        except Exception as exc:
            outcomes.append(f"{protocol}:{type(exc).__name__}")
    await stack.pubsub.publish(args.topic, b"x" * args.oversize)
    outcomes.append("oversize:published")
    return outcomes


async def run(args: argparse.Namespace) -> None:
    seed = hashlib.sha256(b"attacker-%d" % args.seed_index).digest()
    stack = build_stack(NetworkConfig(args.chain, seed))
    async with (
        stack.host.run(parse_addrs(("/ip4/127.0.0.1/tcp/0",))),
        background_trio_service(stack.pubsub),
        background_trio_service(stack.gossipsub),
    ):
        await stack.pubsub.wait_until_ready()
        await stack.pubsub.subscribe(args.topic)
        info = info_from_p2p_addr(multiaddr.Multiaddr(args.target))
        for index in range(args.rounds):
            try:
                await stack.host.connect(info)
                await trio.sleep(args.pause)
                outcomes = await send_round(stack, args)
            except Exception as exc:
                outcomes = [f"connect:{type(exc).__name__}"]
            print(json.dumps({"event": "round", "index": index, "outcomes": outcomes}), flush=True)
            await trio.sleep(args.pause)
        await stack.host.get_network().close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m node.network.attacker")
    parser.add_argument("--target", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--chain", default="devnet")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.5)
    parser.add_argument("--oversize", type=int, default=100_000)
    parser.add_argument("--seed-index", type=int, default=0)
    trio.run(run, parser.parse_args(sys.argv[1:]))


if __name__ == "__main__":
    main()
