"""Length-prefixed frames on a byte stream, with a size limit and a deadline on every read.

A frame is a 4-byte big-endian length followed by that many bytes. The reader checks the
announced length against the caller's limit *before* reading the body, so a peer cannot make
us buffer more than we agreed to.
"""

import struct
from typing import Protocol

import trio

from node.network.errors import (
    FrameTooLargeError,
    MalformedFrameError,
    PeerUnavailableError,
    StreamTimeoutError,
)

_HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 2**32 - 1
_READ_CHUNK = 1 << 20


class ByteStream(Protocol):
    """The slice of a bidirectional stream the protocols need (libp2p or in-memory)."""

    async def read(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` at end of stream. Raises PeerUnavailableError."""
        ...

    async def write(self, data: bytes) -> None:
        """Write all of ``data``. Raises PeerUnavailableError."""
        ...

    async def close(self) -> None:
        """Half-close our side; the peer reads end of stream."""
        ...

    async def reset(self) -> None:
        """Abort the stream in both directions; never raises."""
        ...

    async def finish(self) -> None:
        """Release a stream whose exchange is complete; never raises."""
        ...


async def read_exactly(stream: ByteStream, size: int, timeout_s: float) -> bytes:
    """Read exactly ``size`` bytes; each read must make progress within ``timeout_s``."""
    buf = bytearray()
    while len(buf) < size:
        with trio.move_on_after(timeout_s) as scope:
            chunk = await stream.read(min(size - len(buf), _READ_CHUNK))
        if scope.cancelled_caught:
            raise StreamTimeoutError(f"no bytes within {timeout_s}s ({len(buf)}/{size} read)")
        if not chunk:
            if not buf:
                raise PeerUnavailableError("stream ended before the frame")
            raise MalformedFrameError(f"stream ended inside a frame ({len(buf)}/{size} bytes)")
        buf += chunk
    return bytes(buf)


async def read_frame(stream: ByteStream, max_size: int, timeout_s: float) -> bytes:
    """Read one frame of at most ``max_size`` bytes."""
    header = await read_exactly(stream, _HEADER.size, timeout_s)
    (size,) = _HEADER.unpack(header)
    if size > max_size:
        raise FrameTooLargeError(f"frame of {size} bytes over the limit of {max_size}")
    if size == 0:
        return b""
    return await read_exactly(stream, size, timeout_s)


async def write_frame(stream: ByteStream, payload: bytes, timeout_s: float) -> None:
    """Write one frame; the whole write must finish within ``timeout_s``."""
    if len(payload) > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {len(payload)} bytes cannot be length-prefixed")
    with trio.move_on_after(timeout_s) as scope:
        await stream.write(_HEADER.pack(len(payload)) + payload)
    if scope.cancelled_caught:
        raise StreamTimeoutError(f"write of {len(payload)} bytes took over {timeout_s}s")
