"""Frames on in-memory streams: limits are checked before reading, reads have deadlines."""

import struct

import pytest
import trio
import trio.testing

from node.network.errors import (
    FrameTooLargeError,
    MalformedFrameError,
    PeerUnavailableError,
    StreamTimeoutError,
)
from node.network.framing import read_frame, write_frame
from node.network.memory_stream import open_memory_stream_pair


async def test_framing_round_trip_large_frame() -> None:
    client, server = open_memory_stream_pair()
    payload = bytes(range(256)) * 40_000
    await write_frame(client, payload, timeout_s=1)
    assert await read_frame(server, max_size=len(payload), timeout_s=1) == payload


async def test_framing_rejects_oversized_announcement_before_reading_body() -> None:
    client, server = open_memory_stream_pair()
    await client.write(struct.pack(">I", 1 << 30))
    with pytest.raises(FrameTooLargeError):
        await read_frame(server, max_size=1024, timeout_s=1)


async def test_framing_truncated_frame_is_malformed() -> None:
    client, server = open_memory_stream_pair()
    await client.write(struct.pack(">I", 10) + b"abc")
    await client.close()
    with pytest.raises(MalformedFrameError):
        await read_frame(server, max_size=1024, timeout_s=1)


async def test_framing_eof_before_frame_is_unavailable() -> None:
    client, server = open_memory_stream_pair()
    await client.close()
    with pytest.raises(PeerUnavailableError):
        await read_frame(server, max_size=1024, timeout_s=1)


async def test_framing_silent_peer_times_out(mock_clock: trio.testing.MockClock) -> None:
    mock_clock.autojump_threshold = 0
    _client, server = open_memory_stream_pair()
    started = trio.current_time()
    with pytest.raises(StreamTimeoutError):
        await read_frame(server, max_size=1024, timeout_s=5.0)
    assert trio.current_time() - started == pytest.approx(5.0)


async def test_framing_trickling_peer_bounded_by_outer_deadline(
    mock_clock: trio.testing.MockClock,
) -> None:
    mock_clock.autojump_threshold = 0
    client, server = open_memory_stream_pair()

    async def trickle() -> None:
        await client.write(struct.pack(">I", 1000))
        while True:
            await trio.sleep(1.0)
            await client.write(b"x")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trickle)
        with pytest.raises(trio.TooSlowError), trio.fail_after(30):
            await read_frame(server, max_size=1000, timeout_s=5.0)
        nursery.cancel_scope.cancel()


async def test_framing_write_to_reset_stream_is_unavailable() -> None:
    client, server = open_memory_stream_pair()
    await server.reset()
    with pytest.raises(PeerUnavailableError):
        await write_frame(client, b"hello", timeout_s=1)
