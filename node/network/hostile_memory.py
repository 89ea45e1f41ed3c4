"""In-memory hostile blob peers: a node on a :class:`MemoryHub` that takes blob requests and
never answers, or that does not speak the blob protocol (see :class:`BlobBehaviour`).

Every other protocol it serves honestly, from the providers it is given.
"""

import logging

import trio

from node.network.config import NetworkConfig
from node.network.exchange import Exchanges, StreamOpener, reset_quietly
from node.network.framing import ByteStream
from node.network.guard import PeerGuard
from node.network.hostile import BlobBehaviour
from node.network.memory import MemoryNetwork
from node.network.memory_hub import MemoryHub
from node.network.values import PeerId, ProtocolKind, Providers

logger = logging.getLogger(__name__)


class HostileExchanges(Exchanges):
    """Exchanges whose blob server misbehaves; counts the blob requests it got."""

    def __init__(
        self,
        behaviour: BlobBehaviour,
        open_stream: StreamOpener,
        guard: PeerGuard,
        providers: Providers,
        config: NetworkConfig,
    ) -> None:
        super().__init__(open_stream, guard, providers, config.limits)
        self.behaviour = behaviour
        self.blob_requests = 0

    async def on_inbound(self, stream: ByteStream, peer: PeerId, kind: ProtocolKind) -> None:
        if kind is not ProtocolKind.BLOB:
            await super().on_inbound(stream, peer, kind)
            return
        self.blob_requests += 1
        logger.debug("hostile blob peer got request from=%s", peer)
        if self.behaviour is BlobBehaviour.SILENT:
            await trio.sleep_forever()  # holds the stream open until this node stops
        await reset_quietly(stream)  # as if the protocol were refused


class HostileMemoryPeer(MemoryNetwork):
    """A :class:`MemoryNetwork` node with a misbehaving blob server."""

    def __init__(
        self, hub: MemoryHub, config: NetworkConfig, providers: Providers, behaviour: BlobBehaviour
    ) -> None:
        super().__init__(hub, config, providers)
        self.hostile = HostileExchanges(
            behaviour, self._open_stream, self._guard, providers, config
        )
        self._exchanges = self.hostile

    @property
    def blob_requests(self) -> int:
        """Blob requests this peer received."""
        return self.hostile.blob_requests
