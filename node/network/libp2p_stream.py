"""Adapter from a py-libp2p stream to :class:`~node.network.framing.ByteStream`."""

import logging

from libp2p.abc import INetStream
from libp2p.network.stream.exceptions import StreamEOF

from node.network.errors import PeerUnavailableError

logger = logging.getLogger(__name__)


class Libp2pByteStream:
    """Every library failure on the stream becomes :class:`PeerUnavailableError`."""

    def __init__(self, stream: INetStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int) -> bytes:
        try:
            return bytes(await self._stream.read(max_bytes))
        except StreamEOF:
            return b""
        except Exception as exc:
            raise PeerUnavailableError(f"stream read failed: {exc!r}") from exc

    async def write(self, data: bytes) -> None:
        try:
            await self._stream.write(data)
        except Exception as exc:
            raise PeerUnavailableError(f"stream write failed: {exc!r}") from exc

    async def close(self) -> None:
        try:
            # NetStream.close_write half-closes (yamux FIN); INetStream does not declare it.
            close_write = getattr(self._stream, "close_write", self._stream.close)
            await close_write()
        except Exception as exc:
            raise PeerUnavailableError(f"stream close failed: {exc!r}") from exc

    async def reset(self) -> None:
        try:
            await self._stream.reset()
        except Exception:
            logger.debug("stream reset failed", exc_info=True)

    async def finish(self) -> None:
        try:
            await self._stream.close()
        except Exception:
            logger.debug("stream close failed", exc_info=True)
