"""Build the py-libp2p host and gossipsub stack from a :class:`NetworkConfig`."""

import time
from dataclasses import dataclass

import multiaddr
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.network.config import ConnectionConfig
from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, PROTOCOL_ID_V12, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_ID
from libp2p.stream_muxer.yamux.yamux import Yamux

from node.network.config import KIB, NetworkConfig
from node.network.errors import ConfigError
from node.network.values import compute_message_id

_MAX_INBOUND_RPC_BYTES = 1024 * KIB
"""Frames up to 1 MiB (go-libp2p's default) are parsed so that oversized messages reach
our validator, which rejects them and scores the sender; larger frames end the stream."""
_VALIDATION_CACHE_TTL_S = 2
"""Short, so an IGNOREd message (e.g. future height) can be validated again later."""


@dataclass(frozen=True)
class Libp2pStack:
    host: IHost
    pubsub: Pubsub
    gossipsub: GossipSub


def get_message_id(msg: rpc_pb2.Message) -> bytes:
    """Gossip message id: SHA-256 of the data."""
    return compute_message_id(msg.data)


def parse_addrs(addrs: tuple[str, ...]) -> list[multiaddr.Multiaddr]:
    try:
        return [multiaddr.Multiaddr(addr) for addr in addrs]
    except Exception as exc:
        raise ConfigError(f"invalid listen address in {addrs}: {exc}") from exc


def build_host(config: NetworkConfig) -> IHost:
    """Noise + yamux only, one connection per peer (avoids the 250 ms dial delay)."""
    key_pair = create_new_key_pair(config.key_seed)
    noise = NoiseTransport(key_pair, noise_privkey=create_x25519_key_pair().private_key)
    return new_host(
        key_pair=key_pair,
        sec_opt={TProtocol(NOISE_ID): noise},
        muxer_opt={TProtocol(YAMUX_ID): Yamux},
        connection_config=ConnectionConfig(max_connections_per_peer=1),
        enable_mDNS=config.enable_mdns,
        announce_addrs=parse_addrs(config.announce_addrs) if config.announce_addrs else None,
    )


def build_stack(config: NetworkConfig) -> Libp2pStack:
    """Host, gossipsub router and pubsub, with every limit set on purpose."""
    host = build_host(config)
    params = config.gossip
    gossipsub = GossipSub(
        protocols=[PROTOCOL_ID_V12, PROTOCOL_ID_V11, PROTOCOL_ID],
        degree=params.degree,
        degree_low=params.degree_low,
        degree_high=params.degree_high,
        heartbeat_interval=params.heartbeat_s,
        spam_protection_enabled=True,
        max_messages_per_topic_per_second=params.max_msgs_per_topic_per_s,
    )
    pubsub = Pubsub(
        host,
        gossipsub,
        strict_signing=True,
        msg_id_constructor=get_message_id,
        validation_cache_ttl=_VALIDATION_CACHE_TTL_S,
        max_inbound_rpc_size=_MAX_INBOUND_RPC_BYTES,
    )
    # py-libp2p starts message seqnos at int(time.time()) and adds one per publish. A node that
    # published faster than one message a second and restarts then reuses (from, seqno) pairs
    # its peers still remember, and they drop all it sends as "equivocation". Nanoseconds
    # cannot be outrun.
    pubsub.counter = time.time_ns()
    return Libp2pStack(host, pubsub, gossipsub)


async def stop_auto_connector(host: IHost) -> None:
    """Stop py-libp2p's AutoConnector, which dials every peerstore peer (banned ones too)
    toward a 100-connection target; we dial configured peers ourselves (see redial.py)."""
    auto_connector = getattr(host.get_network(), "auto_connector", None)
    if auto_connector is not None:
        await auto_connector.stop()
