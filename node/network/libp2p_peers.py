"""Connections of the libp2p network: dialing, redialing, bans, the block list, discovery."""

import logging
from collections.abc import Awaitable, Callable

import multiaddr
import trio
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr

from node.network.config import NetworkConfig
from node.network.errors import (
    ConfigError,
    PeerBannedError,
    PeerBlockedError,
    PeerUnavailableError,
)
from node.network.guard import PeerGuard
from node.network.libp2p_host import Libp2pStack
from node.network.libp2p_notifee import BanNotifee
from node.network.redial import maintain_peer
from node.network.scoring import Offence
from node.network.values import BlockList, PeerId

logger = logging.getLogger(__name__)


class PeerConnections:
    """Owns the peer guard (scores and bans) and every connection decision of one node."""

    def __init__(self, stack: Libp2pStack, config: NetworkConfig, peer_id: PeerId) -> None:
        self._stack = stack
        self._config = config
        self._peer_id = peer_id
        self.guard = PeerGuard(config.scoring, self._on_ban, self._on_unban)
        self._nursery: trio.Nursery | None = None

    def start(self, nursery: trio.Nursery) -> None:
        """Start expiry of bans, redial of configured peers and (optionally) discovery."""
        self._nursery = nursery
        nursery.start_soon(self.guard.run_expiry)
        self._stack.host.get_network().register_notifee(BanNotifee(self._on_connected))
        if self._config.enable_mdns:
            nursery.start_soon(self._dial_discovered)
        for addr in self._config.bootstrap_peers:
            nursery.start_soon(
                maintain_peer,
                addr,
                self.connect,
                self.is_connected,
                self.guard.is_refused,
                self._config.redial,
            )

    def stop(self) -> None:
        self._nursery = None

    def connected_peers(self) -> frozenset[PeerId]:
        connections = self._stack.host.get_network().connections
        return frozenset(pid.to_base58() for pid, conns in connections.items() if conns)

    def is_connected(self, peer: PeerId) -> bool:
        return peer in self.connected_peers()

    def on_pubsub_violation(self, peer: PeerId) -> None:
        self.guard.penalize(peer, Offence.MALFORMED_FRAME)

    async def connect(self, addr: str) -> PeerId:
        try:
            info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        except Exception as exc:
            raise ConfigError(f"invalid peer address {addr!r}: {exc}") from exc
        peer = info.peer_id.to_base58()
        if self.guard.is_banned(peer):
            raise PeerBannedError(f"peer {peer} is banned")
        if self.guard.is_blocked(peer):
            raise PeerBlockedError(f"peer {peer} is blocked")
        # py-libp2p refuses every dial for 60 s after one failure; we retry on our schedule.
        negative_cache = getattr(self._stack.host.get_network(), "_negative_peer_cache", None)
        if negative_cache is not None:
            negative_cache.evict(str(info.peer_id))
        try:
            with trio.fail_after(self._config.limits.dial_timeout_s):
                await self._stack.host.connect(info)
        except Exception as exc:
            raise PeerUnavailableError(f"dial {addr} failed: {exc!r}") from exc
        return peer

    async def disconnect(self, peer: PeerId) -> None:
        try:
            await self._stack.host.disconnect(ID.from_base58(peer))
        except Exception:
            logger.debug("disconnect failed peer=%s", peer, exc_info=True)

    def set_blocked(self, blocked: BlockList) -> None:
        """Install the block list and close every open connection it now covers."""
        self.guard.set_blocked(blocked)
        self._forget_refused_addrs()
        for peer in self.connected_peers():
            if blocked.is_blocked(peer):
                logger.info("closing connection to blocked peer peer=%s", peer)
                self._start_soon_safely(self._drop_if_refused, peer)

    def _on_ban(self, peer: PeerId) -> None:
        """Blacklist ``peer`` in pubsub and drop its connection; never raises (it runs in
        pubsub validators, stream handlers and the pubsub read loop)."""
        logger.warning("banning peer peer=%s", peer)
        try:
            self._stack.pubsub.add_to_blacklist(ID.from_base58(peer))
        except Exception:  # e.g. pubsub already stopping: the disconnect still drops it
            logger.warning("pubsub blacklist failed peer=%s", peer, exc_info=True)
        self._start_soon_safely(self._drop_if_refused, peer)

    def _on_unban(self, peer: PeerId) -> None:
        self._stack.pubsub.remove_from_blacklist(ID.from_base58(peer))

    def _start_soon_safely(self, task: Callable[[PeerId], Awaitable[None]], peer: PeerId) -> None:
        """Start ``task(peer)`` in our nursery unless the network is stopping."""
        if self._nursery is None:
            return
        try:
            self._nursery.start_soon(task, peer)
        except RuntimeError:  # the nursery is closing: the swarm closes every connection
            logger.debug("network stopping, task not started peer=%s", peer)

    async def _dial_discovered(self) -> None:
        """Task (mDNS on): dial peers that discovery put in the peerstore; it does not dial."""
        host = self._stack.host
        while True:
            await trio.sleep(self._config.redial.check_s)
            connected = self.connected_peers()
            for pid in host.get_peerstore().peers_with_addrs():
                peer = pid.to_base58()
                if peer == self._peer_id or peer in connected or self.guard.is_refused(peer):
                    continue
                addrs = host.get_peerstore().addrs(pid)
                try:
                    with trio.fail_after(self._config.limits.dial_timeout_s):
                        await host.connect(PeerInfo(pid, addrs))
                except Exception as exc:
                    logger.debug("dial of discovered peer failed peer=%s: %r", peer, exc)

    def _on_connected(self, peer: PeerId) -> None:
        """Close a connection a refused peer opened (py-libp2p accepts it first)."""
        if self.guard.is_refused(peer):
            logger.info("dropping connection from refused peer peer=%s", peer)
            self._start_soon_safely(self._drop_if_refused, peer)

    async def _drop_if_refused(self, peer: PeerId) -> None:
        """Disconnect ``peer`` unless it was allowed again meanwhile (a late drop would cut
        the fresh connection of a healed peer)."""
        if self.guard.is_refused(peer):
            await self.disconnect(peer)
            try:
                self._forget_refused_addrs()
            except Exception:
                logger.warning("peerstore cleanup failed peer=%s", peer, exc_info=True)

    def _forget_refused_addrs(self) -> None:
        """Drop refused peers' addresses from the peerstore: py-libp2p's own stream retries
        (identify, pubsub) would otherwise dial them behind our back. Our redial loop passes
        the configured address again once the peer is allowed."""
        peerstore = self._stack.host.get_peerstore()
        for pid in peerstore.peers_with_addrs():
            peer = pid.to_base58()
            if peer != self._peer_id and self.guard.is_refused(peer):
                peerstore.clear_addrs(pid)
