"""The API over in-memory streams: the real connection handler, no socket, any trio clock.

Tests (and the simulator) use these to talk HTTP to :func:`handle_connection` under
``MockClock``; :func:`parse_replies` reads what the server wrote with an h11 client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import h11
import trio
import trio.testing

from node.api.app import ApiApp
from node.api.connection import ApiLimits, handle_connection
from node.api.errors import ApiUnavailableError

DEFAULT_LIMITS = ApiLimits()


@dataclass(frozen=True)
class Reply:
    """One parsed HTTP response."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


async def exchange_bytes(
    app: ApiApp, data: bytes, limits: ApiLimits = DEFAULT_LIMITS, *, half_close: bool = True
) -> bytes:
    """Write ``data`` to a fresh server connection (then end our side when ``half_close``) and
    return everything the server wrote until it closed the connection."""
    client, server = trio.testing.memory_stream_pair()
    received: list[bytes] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(handle_connection, server, app, limits)
        await client.send_all(data)
        if half_close:
            await client.send_eof()
        while chunk := await client.receive_some():
            received.append(chunk)
    await client.aclose()
    return b"".join(received)


def build_request(
    method: str, path: str, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    """The bytes of one well-formed HTTP/1.1 request."""
    conn = h11.Connection(h11.CLIENT)
    all_headers = [("host", "node"), ("content-length", str(len(body))), *headers]
    data = conn.send(h11.Request(method=method, target=path, headers=all_headers))
    if body:
        data += conn.send(h11.Data(data=body))
    return data + conn.send(h11.EndOfMessage())


async def request_in_memory(
    app: ApiApp,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    headers: Iterable[tuple[str, str]] = (),
    limits: ApiLimits = DEFAULT_LIMITS,
) -> Reply:
    """One request on its own in-memory connection."""
    raw = await exchange_bytes(app, build_request(method, path, body, headers), limits)
    return parse_replies(raw, 1)[0]


def parse_replies(data: bytes, count: int) -> list[Reply]:
    """The first ``count`` responses in ``data`` (responses to non-HEAD requests)."""
    conn = h11.Connection(h11.CLIENT)
    conn.receive_data(data)
    conn.receive_data(b"")
    replies: list[Reply] = []
    try:
        for _ in range(count):
            if replies:
                conn.start_next_cycle()
            conn.send(h11.Request(method="GET", target="/", headers=[("host", "node")]))
            conn.send(h11.EndOfMessage())
            replies.append(_read_reply(conn))
    except (h11.ProtocolError, ValueError) as exc:
        raise ApiUnavailableError(f"unreadable HTTP reply: {exc}") from None
    return replies


def _read_reply(conn: h11.Connection) -> Reply:
    status, headers, body = 0, {}, b""
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return Reply(status, body, headers)
        elif not isinstance(event, h11.InformationalResponse):
            raise ValueError(f"no complete response (got {type(event).__name__})")
