"""An in-memory bidirectional byte stream pair implementing :class:`ByteStream`."""

import math

import trio

from node.network.errors import PeerUnavailableError


class MemoryByteStream:
    """One end of an in-memory stream; writes arrive at the other end's reads."""

    def __init__(
        self, send: trio.MemorySendChannel[bytes], receive: trio.MemoryReceiveChannel[bytes]
    ) -> None:
        self._send = send
        self._receive = receive
        self._pending = b""

    async def read(self, max_bytes: int) -> bytes:
        if not self._pending:
            try:
                self._pending = await self._receive.receive()
            except trio.EndOfChannel:
                return b""
            except trio.ClosedResourceError as exc:
                raise PeerUnavailableError("stream was reset") from exc
        chunk, self._pending = self._pending[:max_bytes], self._pending[max_bytes:]
        return chunk

    async def write(self, data: bytes) -> None:
        try:
            await self._send.send(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise PeerUnavailableError("stream is closed") from exc

    async def close(self) -> None:
        await self._send.aclose()

    async def reset(self) -> None:
        self._send.close()
        self._receive.close()

    async def finish(self) -> None:
        await self.reset()


def open_memory_stream_pair() -> tuple[MemoryByteStream, MemoryByteStream]:
    """Two connected ends (client, server)."""
    a_send, b_receive = trio.open_memory_channel[bytes](math.inf)
    b_send, a_receive = trio.open_memory_channel[bytes](math.inf)
    return MemoryByteStream(a_send, a_receive), MemoryByteStream(b_send, b_receive)
