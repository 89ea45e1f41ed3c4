"""The network port: the one interface the node shell uses, with two implementations.

:class:`~node.network.libp2p_network.Libp2pNetwork` runs py-libp2p;
:class:`~node.network.memory.MemoryNetwork` runs in one trio process for tests and the
simulator. The contract tests in ``tests/node/network/test_contract.py`` run against both.
"""

from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import trio

from node.network.values import BlockList, GossipMessage, PeerId, Status, Validator


class NetworkPort(Protocol):
    """A running node's view of the network. Enter it (``async with``) to run it."""

    @property
    def peer_id(self) -> PeerId:
        """This node's peer id."""
        ...

    def listen_addrs(self) -> list[str]:
        """Dialable addresses of this node, each ending in ``/p2p/<peer id>``."""
        ...

    async def connect(self, addr: str) -> PeerId:
        """Dial ``addr`` (``.../p2p/<id>``); raises PeerUnavailableError or PeerBannedError."""
        ...

    async def disconnect(self, peer: PeerId) -> None:
        """Close the connection to ``peer`` if there is one."""
        ...

    def connected_peers(self) -> frozenset[PeerId]:
        """Peers with an open connection."""
        ...

    def topic_peers(self, topic: str) -> frozenset[PeerId]:
        """Peers our publish on ``topic`` reaches directly (gossipsub: the topic's mesh)."""
        ...

    async def publish(self, topic: str, data: bytes) -> None:
        """Gossip ``data`` (at most ``limits.max_gossip_bytes``, else MessageTooLargeError)."""
        ...

    async def subscribe(
        self, topic: str, validator: Validator
    ) -> trio.MemoryReceiveChannel[GossipMessage]:
        """Join ``topic``; every inbound message passes ``validator`` before it is forwarded.

        Accepted messages from other origins arrive on the returned channel; our own
        publishes are not echoed back. Raises UnknownTopicError if already subscribed.
        """
        ...

    async def fetch_blob(self, peer: PeerId, blob_hash: bytes, max_size: int) -> bytes:
        """Fetch a blob by SHA-256; raises NotFoundError, HashMismatchError, StreamTimeoutError."""
        ...

    async def fetch_blocks(self, peer: PeerId, start: int, end: int) -> list[bytes]:
        """Fetch finalized blocks with commits for heights ``start..end`` inclusive.

        The peer returns a prefix of the range (possibly empty) when it has fewer blocks or
        the range is over its per-request limit.
        """
        ...

    async def fetch_status(self, peer: PeerId) -> Status:
        """Status handshake: the peer's chain id, genesis hash and height."""
        ...

    def get_score(self, peer: PeerId) -> float:
        """The peer's current score (0 is neutral, lower is worse)."""
        ...

    def is_banned(self, peer: PeerId) -> bool:
        """Whether the peer is banned (disconnected and not redialed)."""
        ...

    def get_blocked(self) -> BlockList:
        """The current block list (see :meth:`set_blocked`)."""
        ...

    def set_blocked(self, peers: frozenset[PeerId], block_all: bool) -> None:
        """Replace the block list: stop talking to ``peers`` (to everyone if ``block_all``).

        Synchronous; takes effect at once for new work: dials to a blocked peer raise
        PeerBlockedError and the redial loop skips it, inbound connections from it are
        closed as they open, its inbound streams are reset, its gossip is ignored, fetches
        from it raise PeerBlockedError. Existing connections to blocked peers are closed in
        the background (within milliseconds). Peers dropped from the list are allowed again:
        configured (bootstrap) peers are redialed within ``redial.check_s``.
        """
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None: ...


@runtime_checkable
class PeerMetricsSource(Protocol):
    """A network that reports peer-level metrics (scores, rejections, bans, fetches by peer).

    Optional next to :class:`NetworkPort`: the node adds these samples to ``/metrics`` when
    its network has them (:class:`~node.network.libp2p_network.Libp2pNetwork` and
    :class:`~node.network.memory.MemoryNetwork` do).
    """

    def get_peer_metrics(self) -> dict[str, float]:
        """Samples keyed ``name`` or ``name{label="value",...}`` (see ``peer_metrics.py``)."""
        ...
