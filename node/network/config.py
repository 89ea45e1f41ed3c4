"""Configuration of the networking layer (frozen, validated on construction)."""

from dataclasses import dataclass, field

from node.network.errors import ConfigError

KIB = 1024
MIB = 1024 * KIB
SEED_SIZE = 32


@dataclass(frozen=True)
class Limits:
    """Size and time limits; every read and every stream operation is bounded by them."""

    max_gossip_bytes: int = 63 * KIB
    """Largest gossip payload; with envelope and signature the RPC stays under 64 KiB."""
    max_blob_bytes: int = 64 * MIB
    max_request_bytes: int = 1 * KIB
    max_blocks_per_request: int = 256
    max_blocks_response_bytes: int = 64 * MIB
    io_timeout_s: float = 10.0
    """Deadline for one stream read, write or open (a silent peer is dropped after it)."""
    fetch_timeout_s: float = 60.0
    """Deadline for a whole request/response exchange (a trickling peer is dropped)."""
    dial_timeout_s: float = 5.0
    max_inbound_per_peer: int = 8
    """Concurrent inbound request/response exchanges per peer; more are reset at once."""


@dataclass(frozen=True)
class ScoreParams:
    """Per-peer score: penalties push it down, it decays back toward 0, a ban under threshold."""

    reject_penalty: float = 10.0
    violation_penalty: float = 25.0
    ban_threshold: float = -50.0
    decay_per_s: float = 0.1
    ban_s: float = 300.0


@dataclass(frozen=True)
class RedialParams:
    """Backoff for redialing configured peers."""

    initial_s: float = 0.25
    factor: float = 2.0
    max_s: float = 10.0
    check_s: float = 0.5


@dataclass(frozen=True)
class GossipParams:
    """Gossipsub settings, all set on purpose (the py-libp2p defaults are unsuitable)."""

    heartbeat_s: int = 1
    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    max_msgs_per_topic_per_s: float = 1000.0
    """Spam limit per forwarding peer and topic (py-libp2p default is 10 and hits own publishes)."""
    publish_wait_s: float = 0.5
    """How long publish() waits for room in a full outbound queue before sending anyway."""
    inbox_size: int = 1024
    direct_delivery: bool = True
    """Flood own messages and forward none to a peer that has it from its origin
    (:mod:`node.network.libp2p_direct`)."""


@dataclass(frozen=True)
class NetworkConfig:
    """Everything a node's network needs; ``key_seed`` is the node's Ed25519 seed."""

    chain_id: str
    key_seed: bytes
    listen_addrs: tuple[str, ...] = ("/ip4/127.0.0.1/tcp/0",)
    announce_addrs: tuple[str, ...] = ()
    """Addresses peers learn (identify, peer records) instead of the listen addresses."""
    bootstrap_peers: tuple[str, ...] = ()
    enable_mdns: bool = False
    limits: Limits = field(default_factory=Limits)
    scoring: ScoreParams = field(default_factory=ScoreParams)
    redial: RedialParams = field(default_factory=RedialParams)
    gossip: GossipParams = field(default_factory=GossipParams)

    def __post_init__(self) -> None:
        validate_config(self)


def validate_config(config: NetworkConfig) -> None:
    """Raise :class:`ConfigError` naming the first invalid field."""
    if len(config.key_seed) != SEED_SIZE:
        raise ConfigError(f"key_seed must be {SEED_SIZE} bytes, got {len(config.key_seed)}")
    if not config.chain_id or "/" in config.chain_id or not config.chain_id.isprintable():
        raise ConfigError(f"chain_id must be printable text without '/': {config.chain_id!r}")
    for addr in config.bootstrap_peers:
        if "/p2p/" not in addr:
            raise ConfigError(f"bootstrap peer address must end in /p2p/<peer id>: {addr!r}")
    if config.limits.max_gossip_bytes > 63 * KIB:
        raise ConfigError("max_gossip_bytes must stay under 64 KiB with envelope (<= 63 KiB)")
    if config.scoring.ban_threshold >= 0:
        raise ConfigError("ban_threshold must be negative")
