"""Connection events from py-libp2p: drop banned peers the moment they connect."""

from collections.abc import Callable

from libp2p.abc import INetConn, INetStream, INetwork, INotifee
from multiaddr import Multiaddr

from node.network.values import PeerId


class BanNotifee(INotifee):
    """Calls ``on_connected(peer)`` for every new connection (the network checks bans)."""

    def __init__(self, on_connected: Callable[[PeerId], None]) -> None:
        self._on_connected = on_connected

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self._on_connected(conn.muxed_conn.peer_id.to_base58())

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        return None

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        return None

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        return None
