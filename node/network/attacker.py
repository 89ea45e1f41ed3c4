"""A hostile peer for resilience tests: garbage frames, garbage gossip, malformed requests.

``python -m node.network.attacker --target /ip4/.../p2p/<id> --topic T --rounds 3`` runs a
bare py-libp2p stack (none of our limits), connects to the target and, each round, runs one
attack (``--mode``):

- ``mixed`` (default): one malformed /meshsub frame, one gossip message over the size limit
  and one junk request on the blob protocol;
- ``garbage-gossip``: ``--count`` random messages of ``--size`` bytes on ``--topic`` (valid
  gossipsub, signed, but no validator can accept them);
- ``bad-blocks``: ``--count`` malformed requests on the block-range protocol;
- ``bad-key``: one message whose signing key does not parse (crashed an unpatched node).

It prints one JSON line per round (``{"event": "round", "index": i, "outcomes": [...]}``)
and exits.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
from collections.abc import Awaitable, Callable

import multiaddr
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V12
from libp2p.pubsub.pb import rpc_pb2
from libp2p.tools.anyio_service import background_trio_service
from libp2p.utils.varint import encode_varint_prefixed

from node.network.config import NetworkConfig
from node.network.libp2p_host import Libp2pStack, build_stack, parse_addrs
from node.network.values import ProtocolKind, get_protocol_id

GARBAGE_RPC = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
"""Protobuf field 1 with an overflowing varint length: DecodeError in an unpatched node."""
_JUNK_REQUEST = b"\xff\x00 not cbor"
_MESH_WAIT_S = 10.0
_ANSWER_WAIT_S = 5.0
_ANSWER_BYTES = 4096

Attack = Callable[[Libp2pStack, argparse.Namespace], Awaitable[list[str]]]


def get_target(args: argparse.Namespace) -> ID:
    return info_from_p2p_addr(multiaddr.Multiaddr(args.target)).peer_id


def frame_request(request: bytes) -> bytes:
    """A request frame of the stream protocols: 4-byte big-endian length, then the bytes."""
    return struct.pack(">I", len(request)) + request


def make_bad_key_rpc(topic: str) -> bytes:
    """One published message whose ``from`` is no identity peer id and whose key is junk."""
    msg = rpc_pb2.Message(
        from_id=b"\x12\x20" + bytes(range(32)),
        data=b"x",
        topicIDs=[topic],
        seqno=bytes(8),
        signature=b"sig",
        key=b"not a protobuf public key",
    )
    return encode_varint_prefixed(rpc_pb2.RPC(publish=[msg]).SerializeToString())


async def write_frames(
    stack: Libp2pStack, peer_id: ID, protocol: TProtocol, frames: list[bytes]
) -> list[str]:
    """Each frame on a stream of its own; returns what happened to each."""
    outcomes: list[str] = []
    for frame in frames:
        try:
            stream = await stack.host.new_stream(peer_id, [protocol])
            await stream.write(frame)
            outcomes.append(f"{protocol}:sent")
        except Exception as exc:
            outcomes.append(f"{protocol}:{type(exc).__name__}")
            continue
        outcomes.append(await await_answer(stream))
    return outcomes


async def await_answer(stream: INetStream) -> str:
    """How the target answered a frame: bytes, end of stream, an error or nothing in time."""
    outcome = "no-answer"
    with trio.move_on_after(_ANSWER_WAIT_S):
        try:
            outcome = "answered" if await stream.read(_ANSWER_BYTES) else "closed"
        except Exception as exc:
            outcome = type(exc).__name__
    return outcome


async def send_mixed(stack: Libp2pStack, args: argparse.Namespace) -> list[str]:
    """A malformed /meshsub frame, a junk blob request, an oversized gossip message."""
    peer_id = get_target(args)
    blob = TProtocol(get_protocol_id(args.chain, ProtocolKind.BLOB))
    garbage = encode_varint_prefixed(GARBAGE_RPC)
    outcomes = await write_frames(stack, peer_id, PROTOCOL_ID_V12, [garbage])
    outcomes += await write_frames(stack, peer_id, blob, [frame_request(_JUNK_REQUEST)])
    await stack.pubsub.publish(args.topic, b"x" * args.oversize)
    outcomes.append("oversize:published")
    return outcomes


async def send_garbage_gossip(stack: Libp2pStack, args: argparse.Namespace) -> list[str]:
    """Random gossip on the topic, once the target is a subscriber we publish to."""
    peer_id = get_target(args)
    with trio.move_on_after(_MESH_WAIT_S):
        while peer_id not in stack.pubsub.peer_topics.get(args.topic, set()):
            await trio.sleep(0.02)
    for _ in range(args.count):
        await stack.pubsub.publish(args.topic, os.urandom(args.size))
    return [f"garbage-gossip:{args.count}"]


async def send_bad_blocks(stack: Libp2pStack, args: argparse.Namespace) -> list[str]:
    """Malformed requests on the block-range protocol."""
    blocks = TProtocol(get_protocol_id(args.chain, ProtocolKind.BLOCKS))
    frames = [frame_request(_JUNK_REQUEST) for _ in range(args.count)]
    return await write_frames(stack, get_target(args), blocks, frames)


async def send_bad_key(stack: Libp2pStack, args: argparse.Namespace) -> list[str]:
    """One message with an unparsable signing key on a /meshsub stream."""
    frame = make_bad_key_rpc(args.topic)
    return await write_frames(stack, get_target(args), PROTOCOL_ID_V12, [frame])


ATTACKS: dict[str, Attack] = {
    "mixed": send_mixed,
    "garbage-gossip": send_garbage_gossip,
    "bad-blocks": send_bad_blocks,
    "bad-key": send_bad_key,
}


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
                outcomes = await ATTACKS[args.mode](stack, args)
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
    parser.add_argument("--mode", choices=sorted(ATTACKS), default="mixed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.5)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--oversize", type=int, default=100_000)
    parser.add_argument("--seed-index", type=int, default=0)
    trio.run(run, parser.parse_args(sys.argv[1:]))


if __name__ == "__main__":
    main()
