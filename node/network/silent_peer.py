"""A real hostile blob peer (issue 12): silent, or without the blob protocol.

``python -m node.network.silent_peer --chain C --targets ADDR,ADDR --behaviour silent`` runs a
bare py-libp2p stack whose peer id sorts before every target's (``--seed-label`` picks the
search), dials every target and keeps those links up. ``silent`` registers the blob protocol
and never answers; ``no-protocol`` does not register it. It prints JSON lines on stdout:
``{"event": "ready", "peer_id": ...}``, then one ``{"event": "request", "from": ...}`` per
blob request (``silent`` only). It runs until killed.
"""

import argparse
import json
import sys

import multiaddr
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.tools.anyio_service import background_trio_service

from node.network import libp2p_patches
from node.network.config import NetworkConfig
from node.network.hostile import BlobBehaviour, find_seed_sorting_first
from node.network.libp2p_host import Libp2pStack, build_stack, parse_addrs
from node.network.peer_id import get_addr_peer_id
from node.network.values import ProtocolKind, get_protocol_id

_RELINK_S = 1.0
_HOLD_S = 600.0


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def never_answer(stream: INetStream) -> None:
    """Take the request, answer nothing; hold the stream until the asker gives up."""
    emit("request", **{"from": stream.muxed_conn.peer_id.to_base58()})
    with trio.move_on_after(_HOLD_S):
        try:
            while await stream.read(1 << 16):
                pass
        except Exception as exc:  # an exception here would end py-libp2p's swarm
            emit("stream-ended", error=type(exc).__name__)
        await trio.sleep(_HOLD_S)


async def keep_linked(stack: Libp2pStack, targets: list[PeerInfo]) -> None:
    """Task: dial every target that is not connected, every ``_RELINK_S``."""
    network = stack.host.get_network()
    while True:
        for info in targets:
            if network.connections.get(info.peer_id):
                continue
            negative_cache = getattr(network, "_negative_peer_cache", None)  # 60 s after a miss
            if negative_cache is not None:
                negative_cache.evict(str(info.peer_id))
            try:
                with trio.fail_after(_RELINK_S * 5):
                    await stack.host.connect(info)
            except Exception as exc:
                emit("dial-failed", peer=info.peer_id.to_base58(), error=type(exc).__name__)
        await trio.sleep(_RELINK_S)


async def run(args: argparse.Namespace) -> None:
    libp2p_patches.apply_patches()  # a sound stack: its only misbehaviour is the blob protocol
    addrs = [a for a in args.targets.split(",") if a]
    seed = find_seed_sorting_first([get_addr_peer_id(a) for a in addrs], args.seed_label.encode())
    stack = build_stack(NetworkConfig(args.chain, seed))
    if BlobBehaviour(args.behaviour) is BlobBehaviour.SILENT:
        protocol = TProtocol(get_protocol_id(args.chain, ProtocolKind.BLOB))
        stack.host.set_stream_handler(protocol, never_answer)
    async with (
        stack.host.run(parse_addrs(("/ip4/127.0.0.1/tcp/0",))),
        background_trio_service(stack.pubsub),
        background_trio_service(stack.gossipsub),
        trio.open_nursery() as nursery,
    ):
        await stack.pubsub.wait_until_ready()
        emit("ready", peer_id=stack.host.get_id().to_base58())
        targets = [info_from_p2p_addr(multiaddr.Multiaddr(a)) for a in addrs]
        nursery.start_soon(keep_linked, stack, targets)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m node.network.silent_peer")
    parser.add_argument("--chain", required=True)
    parser.add_argument("--targets", required=True, help="comma-separated .../p2p/<id> addresses")
    parser.add_argument("--behaviour", choices=[b.value for b in BlobBehaviour], default="silent")
    parser.add_argument("--seed-label", default="silent-peer")
    trio.run(run, parser.parse_args(sys.argv[1:]))


if __name__ == "__main__":
    main()
