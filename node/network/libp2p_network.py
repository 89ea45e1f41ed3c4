"""The real network: py-libp2p host, gossipsub and the stream protocols.

:class:`Libp2pNetwork` implements :class:`~node.network.port.NetworkPort`. Enter it with
``async with`` to listen, dial the configured peers (and keep redialing them) and serve the
stream protocols; leave it to close every connection and task. Importing this module applies
the py-libp2p patches (:mod:`node.network.libp2p_patches`).
"""

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.tools.anyio_service import background_trio_service

from node.network import libp2p_patches
from node.network.config import NetworkConfig
from node.network.errors import (
    ListenError,
    MessageTooLargeError,
    NotRunningError,
    PeerUnavailableError,
)
from node.network.exchange import Exchanges
from node.network.framing import ByteStream
from node.network.libp2p_direct import DirectDelivery
from node.network.libp2p_gossip import GossipRouter
from node.network.libp2p_host import (
    Libp2pStack,
    build_stack,
    parse_addrs,
    stop_auto_connector,
)
from node.network.libp2p_peers import PeerConnections
from node.network.libp2p_pubsub_guards import set_violation_listener
from node.network.libp2p_stream import Libp2pByteStream
from node.network.neighbours import get_neighbours_topic
from node.network.peer_id import compute_peer_id
from node.network.values import (
    BlockList,
    GossipMessage,
    PeerId,
    ProtocolKind,
    Providers,
    Status,
    Validator,
    get_protocol_id,
)

if TYPE_CHECKING:
    from trio_typing import TaskStatus  # trio-stubs (from trio-typing) hide trio.TaskStatus

logger = logging.getLogger(__name__)
T = TypeVar("T")
_CLOSE_GRACE_S = 5.0
_SHUTDOWN_LIMIT_S = 10.0

libp2p_patches.apply_patches()  # importing the real network makes py-libp2p safe to run


class Libp2pNetwork:
    """A node's libp2p network; see :class:`~node.network.port.NetworkPort`."""

    def __init__(self, config: NetworkConfig, providers: Providers) -> None:
        self._config = config
        self._peer_id = compute_peer_id(config.key_seed)
        self._stack: Libp2pStack = build_stack(config)
        self._peers = PeerConnections(self._stack, config, self._peer_id)
        self._guard = self._peers.guard
        self._exchanges = Exchanges(self._open_stream, self._guard, providers, config.limits)
        self._gossip = GossipRouter(self._stack.pubsub, self._guard, config)
        self._direct = (
            DirectDelivery(self._stack.pubsub, get_neighbours_topic(config.chain_id))
            if config.gossip.direct_delivery
            else None
        )
        self._nursery: trio.Nursery | None = None
        self._exit_stack = AsyncExitStack()
        self._stop = trio.Event()

    @property
    def peer_id(self) -> PeerId:
        return self._peer_id

    def listen_addrs(self) -> list[str]:
        return [str(addr) for addr in self._stack.host.get_addrs()]

    async def __aenter__(self) -> Self:
        outer = await self._exit_stack.enter_async_context(trio.open_nursery())
        try:
            await outer.start(self._serve)
        except BaseException:
            self._stop.set()
            await self._exit_stack.aclose()
            raise
        return self

    async def _serve(self, *, task_status: "TaskStatus[None]" = trio.TASK_STATUS_IGNORED) -> None:
        """Task: run the stack, shielded, until ``__aexit__`` asks for an orderly shutdown.

        Shielded because a cancellation that reaches py-libp2p's tasks all at once leaves
        sockets open; on stop we cancel our tasks, then close the swarm, then the services.
        """
        with trio.CancelScope(shield=True) as scope:
            async with AsyncExitStack() as stack:
                await self._enter_stack(stack)
                task_status.started()
                await self._stop.wait()
                scope.deadline = trio.current_time() + _SHUTDOWN_LIMIT_S
                if self._nursery is not None:
                    self._nursery.cancel_scope.cancel()
                    self._nursery = None
                    self._peers.stop()

    async def _enter_stack(self, stack: AsyncExitStack) -> None:
        libp2p, host = self._stack, self._stack.host
        await stack.enter_async_context(
            host.run(listen_addrs=parse_addrs(self._config.listen_addrs))
        )
        stack.push_async_callback(self._close_swarm)
        if not host.get_network().listeners:  # py-libp2p only logs a failed bind at DEBUG
            addrs = ", ".join(self._config.listen_addrs)
            raise ListenError(f"cannot listen on {addrs}: port in use or address unavailable")
        await stop_auto_connector(host)
        await stack.enter_async_context(background_trio_service(libp2p.pubsub))
        await stack.enter_async_context(background_trio_service(libp2p.gossipsub))
        self._nursery = await stack.enter_async_context(trio.open_nursery())
        await libp2p.pubsub.wait_until_ready()
        self._start(self._nursery)

    def _start(self, nursery: trio.Nursery) -> None:
        set_violation_listener(self._stack.pubsub, self._peers.on_pubsub_violation)
        for kind in ProtocolKind:
            protocol = TProtocol(get_protocol_id(self._config.chain_id, kind))
            self._stack.host.set_stream_handler(protocol, self._make_handler(kind))
        self._gossip.start(nursery)
        self._peers.start(nursery)
        if self._direct is not None:
            nursery.start_soon(self._direct.run, self._gossip.subscribe, self._gossip.publish)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self._stop.set()
        return await self._exit_stack.__aexit__(exc_type, exc, tb)

    async def _close_swarm(self) -> None:
        """Close connections and listeners explicitly; leaving ``host.run`` leaks sockets."""
        with trio.move_on_after(_CLOSE_GRACE_S):
            try:
                await self._stack.host.get_network().close()
            except Exception:
                logger.warning("closing the swarm failed", exc_info=True)

    def _make_handler(self, kind: ProtocolKind) -> Callable[[INetStream], Awaitable[None]]:
        async def handle(net_stream: INetStream) -> None:
            peer = net_stream.muxed_conn.peer_id.to_base58()
            await self._exchanges.on_inbound(Libp2pByteStream(net_stream), peer, kind)

        return handle

    def connected_peers(self) -> frozenset[PeerId]:
        return self._peers.connected_peers()

    def topic_peers(self, topic: str) -> frozenset[PeerId]:
        return self._gossip.topic_peers(topic) & self.connected_peers()

    def get_score(self, peer: PeerId) -> float:
        return self._guard.get_score(peer)

    def is_banned(self, peer: PeerId) -> bool:
        return self._guard.is_banned(peer)

    def get_peer_metrics(self) -> dict[str, float]:
        """Peer-level samples for ``/metrics`` (see :mod:`node.network.peer_metrics`)."""
        samples = self._guard.get_metrics(self.connected_peers())
        if self._direct is not None:
            samples.update(self._direct.get_metrics())
        return samples

    def get_blocked(self) -> BlockList:
        return self._guard.get_blocked()

    def set_blocked(self, peers: frozenset[PeerId], block_all: bool) -> None:
        self._peers.set_blocked(BlockList(frozenset(peers), block_all))

    async def connect(self, addr: str) -> PeerId:
        return await self._peers.connect(addr)

    async def disconnect(self, peer: PeerId) -> None:
        await self._peers.disconnect(peer)

    async def _open_stream(self, peer: PeerId, kind: ProtocolKind) -> ByteStream:
        protocol = TProtocol(get_protocol_id(self._config.chain_id, kind))
        try:
            with trio.fail_after(self._config.limits.io_timeout_s):
                stream = await self._stack.host.new_stream(ID.from_base58(peer), [protocol])
        except Exception as exc:
            raise PeerUnavailableError(f"cannot open {protocol} to {peer}: {exc!r}") from exc
        return Libp2pByteStream(stream)

    async def publish(self, topic: str, data: bytes) -> None:
        if self._nursery is None:
            raise NotRunningError("publish needs a running network (enter it first)")
        limit = self._config.limits.max_gossip_bytes
        if len(data) > limit:
            raise MessageTooLargeError(f"{len(data)} bytes over the gossip limit of {limit}")
        await self._gossip.publish(topic, data)

    async def subscribe(
        self, topic: str, validator: Validator
    ) -> trio.MemoryReceiveChannel[GossipMessage]:
        return await self._gossip.subscribe(topic, validator)

    async def fetch_blob(self, peer: PeerId, blob_hash: bytes, max_size: int) -> bytes:
        fetch = self._exchanges.fetch_blob(peer, blob_hash, max_size)
        return await self._timed(peer, ProtocolKind.BLOB, fetch)

    async def fetch_blocks(self, peer: PeerId, start: int, end: int) -> list[bytes]:
        fetch = self._exchanges.fetch_blocks(peer, start, end)
        return await self._timed(peer, ProtocolKind.BLOCKS, fetch)

    async def fetch_status(self, peer: PeerId) -> Status:
        return await self._timed(peer, ProtocolKind.STATUS, self._exchanges.fetch_status(peer))

    async def _timed(self, peer: PeerId, kind: ProtocolKind, fetch: Awaitable[T]) -> T:
        """Run one fetch and record its time and outcome against ``peer``."""
        return await self._guard.timed_fetch(peer, kind.value, fetch)
