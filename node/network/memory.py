"""In-memory network: many nodes in one trio process, for fast tests and the simulator.

A :class:`MemoryHub` holds the running nodes; :class:`MemoryNetwork` implements
:class:`~node.network.port.NetworkPort` with the same validation, scoring, limits and
stream protocols as the libp2p implementation, and reaches its peers on the hub only through
their :class:`~node.network.memory_hub.HubMember` methods. Gossip is flooded hop by hop
(validate, then forward), with optional latency and random drops from a seeded generator.
"""

import logging
from collections import OrderedDict
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

import trio

from node.network.config import NetworkConfig
from node.network.errors import (
    ConfigError,
    MessageTooLargeError,
    NotRunningError,
    PeerBannedError,
    PeerBlockedError,
    PeerUnavailableError,
    UnknownTopicError,
)
from node.network.exchange import Exchanges
from node.network.framing import ByteStream
from node.network.guard import PeerGuard
from node.network.memory_hub import HubMember, MemoryHub
from node.network.memory_stream import open_memory_stream_pair
from node.network.peer_id import compute_peer_id, get_addr_peer_id
from node.network.redial import maintain_peer
from node.network.validation import judge_gossip
from node.network.values import (
    BlockList,
    GossipMessage,
    PeerId,
    ProtocolKind,
    Providers,
    Status,
    Validator,
    Verdict,
    compute_message_id,
)

__all__ = ["MemoryHub", "MemoryNetwork"]

logger = logging.getLogger(__name__)
_SEEN_CAPACITY = 100_000


class _Subscription:
    def __init__(self, validator: Validator, size: int) -> None:
        self.validator = validator
        self.send, self.receive = trio.open_memory_channel[GossipMessage](size)


class MemoryNetwork:
    """A node on a :class:`MemoryHub`; see :class:`~node.network.port.NetworkPort`."""

    def __init__(self, hub: MemoryHub, config: NetworkConfig, providers: Providers) -> None:
        self._hub = hub
        self._config = config
        self._peer_id = compute_peer_id(config.key_seed)
        self._links: set[PeerId] = set()
        self._subs: dict[str, _Subscription] = {}
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._guard = PeerGuard(config.scoring, self._on_ban, lambda _peer: None)
        self._exchanges = Exchanges(self._open_stream, self._guard, providers, config.limits)
        self._nursery: trio.Nursery | None = None
        self._stack = AsyncExitStack()

    @property
    def peer_id(self) -> PeerId:
        return self._peer_id

    def listen_addrs(self) -> list[str]:
        return [f"/memory/p2p/{self._peer_id}"]

    async def __aenter__(self) -> Self:
        if self._peer_id in self._hub.nodes:
            raise ConfigError(f"peer {self._peer_id} is already running on this hub")
        self._nursery = await self._stack.enter_async_context(trio.open_nursery())
        self._hub.nodes[self._peer_id] = self
        self._stack.callback(self._leave)
        self._nursery.start_soon(self._guard.run_expiry)
        for addr in self._config.bootstrap_peers:
            self._nursery.start_soon(
                maintain_peer,
                addr,
                self.connect,
                lambda peer: peer in self._links,
                self._guard.is_refused,
                self._config.redial,
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()
        return await self._stack.__aexit__(exc_type, exc, tb)

    def _leave(self) -> None:
        self._hub.nodes.pop(self._peer_id, None)
        for peer in list(self._links):
            self._unlink(peer)
        for sub in self._subs.values():
            sub.send.close()
        self._nursery = None

    def _running_peer(self, peer: PeerId) -> HubMember:
        node = self._hub.nodes.get(peer)
        if node is None:
            raise PeerUnavailableError(f"no running node {peer} on the hub")
        return node

    async def connect(self, addr: str) -> PeerId:
        peer = get_addr_peer_id(addr)
        if self._guard.is_banned(peer):
            raise PeerBannedError(f"peer {peer} is banned")
        if self._guard.is_blocked(peer):
            raise PeerBlockedError(f"peer {peer} is blocked")
        await self._hub.delay()
        node = self._running_peer(peer)
        if peer == self._peer_id or node.is_refusing(self._peer_id):
            raise PeerUnavailableError(f"peer {peer} refused the connection")
        self._links.add(peer)
        node.add_link(self._peer_id)
        return peer

    def _unlink(self, peer: PeerId) -> None:
        self._links.discard(peer)
        node = self._hub.nodes.get(peer)
        if node is not None:
            node.drop_link(self._peer_id)

    async def disconnect(self, peer: PeerId) -> None:
        self._unlink(peer)

    def _on_ban(self, peer: PeerId) -> None:
        logger.warning("banning peer peer=%s", peer)
        self._unlink(peer)

    def get_blocked(self) -> BlockList:
        return self._guard.get_blocked()

    def set_blocked(self, peers: frozenset[PeerId], block_all: bool) -> None:
        blocked = BlockList(frozenset(peers), block_all)
        self._guard.set_blocked(blocked)
        for peer in [p for p in self._links if blocked.is_blocked(p)]:
            logger.info("closing link to blocked peer peer=%s", peer)
            self._unlink(peer)

    def connected_peers(self) -> frozenset[PeerId]:
        return frozenset(self._links)

    def topic_peers(self, topic: str) -> frozenset[PeerId]:
        nodes = self._hub.nodes
        return frozenset(p for p in self._links if p in nodes and nodes[p].is_subscribed(topic))

    def get_score(self, peer: PeerId) -> float:
        return self._guard.get_score(peer)

    def is_banned(self, peer: PeerId) -> bool:
        return self._guard.is_banned(peer)

    # ---- what peers on the hub reach (HubMember) ----------------------------------------

    def is_refusing(self, peer: PeerId) -> bool:
        return self._guard.is_refused(peer)

    def add_link(self, peer: PeerId) -> None:
        self._links.add(peer)

    def drop_link(self, peer: PeerId) -> None:
        self._links.discard(peer)

    def is_subscribed(self, topic: str) -> bool:
        return topic in self._subs

    def deliver(self, forwarder: PeerId, topic: str, data: bytes, origin: PeerId) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(self._receive, forwarder, topic, data, origin)

    def accept_stream(self, peer: PeerId, kind: ProtocolKind) -> ByteStream:
        if self._nursery is None:
            raise PeerUnavailableError(f"peer {self._peer_id} is shutting down")
        client, server = open_memory_stream_pair()
        self._nursery.start_soon(self._exchanges.on_inbound, server, peer, kind)
        return client

    async def subscribe(
        self, topic: str, validator: Validator
    ) -> trio.MemoryReceiveChannel[GossipMessage]:
        if self._nursery is None:
            raise NotRunningError("subscribe needs a running network (enter it first)")
        if topic in self._subs:
            raise UnknownTopicError(f"already subscribed to {topic}")
        sub = _Subscription(validator, self._config.gossip.inbox_size)
        self._subs[topic] = sub
        return sub.receive

    async def publish(self, topic: str, data: bytes) -> None:
        if self._nursery is None:
            raise NotRunningError("publish needs a running network (enter it first)")
        limit = self._config.limits.max_gossip_bytes
        if len(data) > limit:
            raise MessageTooLargeError(f"{len(data)} bytes over the gossip limit of {limit}")
        self._mark_seen(compute_message_id(data))
        self._forward(topic, data, self._peer_id, exclude=self._peer_id)

    def _mark_seen(self, msg_id: bytes) -> bool:
        """Record a message id; False if it was already seen."""
        if msg_id in self._seen:
            return False
        self._seen[msg_id] = None
        if len(self._seen) > _SEEN_CAPACITY:
            self._seen.popitem(last=False)
        return True

    def _forward(self, topic: str, data: bytes, origin: PeerId, exclude: PeerId) -> None:
        for peer in self.topic_peers(topic) - {exclude, origin}:
            if self._hub.is_dropped():
                continue
            self._hub.nodes[peer].deliver(self._peer_id, topic, data, origin)

    async def _receive(self, forwarder: PeerId, topic: str, data: bytes, origin: PeerId) -> None:
        await self._hub.delay()
        sub = self._subs.get(topic)
        if forwarder not in self._links or sub is None:
            return
        msg_id = compute_message_id(data)
        if msg_id in self._seen:
            return
        limit = self._config.limits.max_gossip_bytes
        verdict = judge_gossip(
            self._guard,
            forwarder=forwarder,
            topic=topic,
            data=data,
            validator=sub.validator,
            max_bytes=limit,
        )
        if verdict is not Verdict.ACCEPT:
            return
        if self._mark_seen(msg_id):
            self._forward(topic, data, origin, exclude=forwarder)
            try:
                await sub.send.send(GossipMessage(topic, data, origin, msg_id))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                logger.info("gossip subscriber closed its channel topic=%s", topic)

    async def _open_stream(self, peer: PeerId, kind: ProtocolKind) -> ByteStream:
        if peer not in self._links:
            raise PeerUnavailableError(f"not connected to {peer}")
        await self._hub.delay()
        return self._running_peer(peer).accept_stream(self._peer_id, kind)

    async def fetch_blob(self, peer: PeerId, blob_hash: bytes, max_size: int) -> bytes:
        fetch = self._exchanges.fetch_blob(peer, blob_hash, max_size)
        return await self._guard.timed_fetch(peer, ProtocolKind.BLOB.value, fetch)

    async def fetch_blocks(self, peer: PeerId, start: int, end: int) -> list[bytes]:
        fetch = self._exchanges.fetch_blocks(peer, start, end)
        return await self._guard.timed_fetch(peer, ProtocolKind.BLOCKS.value, fetch)

    async def fetch_status(self, peer: PeerId) -> Status:
        fetch = self._exchanges.fetch_status(peer)
        return await self._guard.timed_fetch(peer, ProtocolKind.STATUS.value, fetch)

    def get_peer_metrics(self) -> dict[str, float]:
        """Peer-level samples for ``/metrics``, as :class:`Libp2pNetwork` reports them (see
        :mod:`node.network.peer_metrics`), so simulations show the same ``/metrics``."""
        return self._guard.get_metrics(self.connected_peers())
