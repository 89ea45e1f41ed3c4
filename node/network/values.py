"""Payload-agnostic value types shared by both network implementations."""

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

PeerId: TypeAlias = str
"""A libp2p peer id in base58 (``12D3KooW...``); the memory network uses the same ids."""

BLOB_HASH_SIZE = 32


class Verdict(enum.Enum):
    """What a topic validator decides about one inbound gossip message."""

    ACCEPT = "accept"
    """Valid: deliver it to the subscriber and forward it."""
    IGNORE = "ignore"
    """Not usable now (e.g. a future height): drop, do not forward, do not score."""
    REJECT = "reject"
    """Provably bad (bad signature, malformed bytes): drop and score the forwarder down."""


Validator: TypeAlias = Callable[[PeerId, bytes], Verdict]
"""A synchronous topic validator ``(forwarder peer id, data) -> Verdict``."""


@dataclass(frozen=True)
class BlockList:
    """Peers an operator (or a scenario runner) told this node not to talk to."""

    peers: frozenset[PeerId] = frozenset()
    block_all: bool = False
    """Every peer is blocked, whether listed or not."""

    def is_blocked(self, peer: PeerId) -> bool:
        return self.block_all or peer in self.peers


class TopicKind(enum.Enum):
    """The gossip topics of one chain."""

    TXS = "txs"
    PROPOSALS = "proposals"
    VOTES = "votes"


class ProtocolKind(enum.Enum):
    """The request/response stream protocols of one chain."""

    BLOB = "blob"
    BLOCKS = "blocks"
    STATUS = "status"


@dataclass(frozen=True)
class Status:
    """What the status handshake exchanges."""

    chain_id: str
    genesis_hash: bytes
    height: int


@dataclass(frozen=True)
class GossipMessage:
    """One accepted gossip message, as delivered to the subscriber."""

    topic: str
    data: bytes
    origin: PeerId
    msg_id: bytes


BlobProvider: TypeAlias = Callable[[bytes], bytes | None]
BlockRangeProvider: TypeAlias = Callable[[int, int], list[bytes]]
StatusProvider: TypeAlias = Callable[[], Status]


@dataclass(frozen=True)
class Providers:
    """Callbacks from the node shell that answer the request/response protocols."""

    blob: BlobProvider
    blocks: BlockRangeProvider
    status: StatusProvider


def get_topic_name(chain_id: str, kind: TopicKind) -> str:
    """Topic name, e.g. ``/deltachain/<chain_id>/votes/1``."""
    return f"/deltachain/{chain_id}/{kind.value}/1"


def get_protocol_id(chain_id: str, kind: ProtocolKind) -> str:
    """Stream protocol id, e.g. ``/deltachain/<chain_id>/blob/1``."""
    return f"/deltachain/{chain_id}/{kind.value}/1"


def compute_message_id(data: bytes) -> bytes:
    """Gossip message id: SHA-256 of the data, so duplicates from any origin collapse."""
    return hashlib.sha256(data).digest()


def compute_blob_hash(blob: bytes) -> bytes:
    """Content hash of a blob (SHA-256), checked on every fetch."""
    return hashlib.sha256(blob).digest()
