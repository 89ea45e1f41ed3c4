"""The shared medium of an in-memory network: running nodes, latency and drop knobs.

The hub knows its nodes only as :class:`HubMember`, what one node offers the others on the
same hub (links, subscriptions, gossip delivery and inbound streams), so it sits below
:mod:`node.network.memory`, whose ``MemoryNetwork`` is the one implementation.
"""

import random
from typing import Protocol

import trio

from node.network.errors import ConfigError
from node.network.framing import ByteStream
from node.network.values import PeerId, ProtocolKind


class HubMember(Protocol):
    """One running node as its peers on the hub reach it."""

    def is_refusing(self, peer: PeerId) -> bool:
        """Whether this node refuses connections from ``peer`` (banned or blocked)."""
        ...

    def add_link(self, peer: PeerId) -> None:
        """``peer`` connected to this node."""
        ...

    def drop_link(self, peer: PeerId) -> None:
        """``peer`` went away or closed its link to this node."""
        ...

    def is_subscribed(self, topic: str) -> bool: ...

    def deliver(self, forwarder: PeerId, topic: str, data: bytes, origin: PeerId) -> None:
        """Schedule one gossip hop from ``forwarder`` (dropped while shutting down)."""
        ...

    def accept_stream(self, peer: PeerId, kind: ProtocolKind) -> ByteStream:
        """Serve a ``kind`` stream opened by ``peer``; the opener's end of it.

        Raise PeerUnavailableError while shutting down."""
        ...


class MemoryHub:
    """The shared medium of one in-memory network, with latency and drop knobs."""

    def __init__(self, latency_s: float = 0.0, drop_rate: float = 0.0, seed: int = 0) -> None:
        if latency_s < 0 or not 0.0 <= drop_rate <= 1.0:
            raise ConfigError("latency_s must be >= 0 and drop_rate in [0, 1]")
        self.latency_s = latency_s
        self.drop_rate = drop_rate
        self._random = random.Random(seed)
        self.nodes: dict[PeerId, HubMember] = {}

    def is_dropped(self) -> bool:
        """Draw whether one gossip hop is lost."""
        return self.drop_rate > 0 and self._random.random() < self.drop_rate

    async def delay(self) -> None:
        if self.latency_s > 0:
            await trio.sleep(self.latency_s)
