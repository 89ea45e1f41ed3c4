"""A client stream that notes whether its request went out and whether any answer came back.

The exchange uses it to tell a mute peer (took the request, sent nothing back before the read
deadline: scored ``Offence.UNRESPONSIVE``) from a slow one (sent part of an answer: not scored).
"""

from node.network.framing import ByteStream


class WatchedStream:
    """Wraps a :class:`ByteStream`; ``close`` (the client's half-close) marks the request sent."""

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self.request_sent = False
        self.answered = False

    def is_mute(self) -> bool:
        """The request went out and not one byte of an answer came back."""
        return self.request_sent and not self.answered

    async def read(self, max_bytes: int) -> bytes:
        chunk = await self._stream.read(max_bytes)
        self.answered = self.answered or bool(chunk)
        return chunk

    async def write(self, data: bytes) -> None:
        await self._stream.write(data)

    async def close(self) -> None:
        await self._stream.close()
        self.request_sent = True

    async def reset(self) -> None:
        await self._stream.reset()

    async def finish(self) -> None:
        await self._stream.finish()
