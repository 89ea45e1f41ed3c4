"""HTTP/1.1 on one trio stream with h11: keep-alive, limits and timeouts, never a crash.

Each request must arrive whole (headers and body) within ``request_timeout_s`` of the moment the
server starts waiting for it, so a slowloris client is cut; each response must be written within
``write_timeout_s``. Malformed HTTP gets a 400 (431 for oversized headers), a body over the limit
a 413, and the connection is closed after either. Nothing a client sends can raise out of
:func:`handle_connection`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import h11
import trio

from node.api.app import ApiApp
from node.api.request import REASONS, Request, Response, error_response
from node.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiLimits:
    """Sizes and times one connection may use."""

    max_body_bytes: int = 64 * 1024
    max_blob_bytes: int = 16 << 20
    """Body limit of ``PUT /blobs/{hash}`` (model snapshots); every other request has
    ``max_body_bytes``."""
    max_header_bytes: int = 8 * 1024
    request_timeout_s: float = 10.0
    write_timeout_s: float = 10.0
    linger_s: float = 1.0
    max_requests_per_connection: int = 100
    max_connections: int = 256
    read_chunk_bytes: int = 16 * 1024

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ConfigError(f"API limit {name} must be positive, got {value!r}")


class _BodyTooLargeError(Exception):
    """The declared or received body exceeds ``max_body_bytes``."""


async def handle_connection(stream: trio.abc.Stream, app: ApiApp, limits: ApiLimits) -> None:
    """Serve requests on ``stream`` until the client closes, errs or times out; then close it."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
    app.stats.open_connections += 1
    try:
        await _serve(conn, stream, app, limits)
    except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        logger.debug("api client went away: %s", exc)
    except Exception:
        logger.exception("api connection failed; closing it")
    finally:
        app.stats.open_connections -= 1
        await trio.aclose_forcefully(stream)


async def _serve(
    conn: h11.Connection, stream: trio.abc.Stream, app: ApiApp, limits: ApiLimits
) -> None:
    for served in range(1, limits.max_requests_per_connection + 1):
        outcome = await _read_request(conn, stream, app, limits)
        if outcome is None:
            return
        if isinstance(outcome, Response):
            app.stats.bad_http += 1
            app.stats.count(outcome.status)
            await _send(conn, stream, outcome, limits, close=True)
            await _linger(stream, limits)
            return
        response = await app.respond(outcome)
        is_last = served == limits.max_requests_per_connection
        if not await _send(
            conn, stream, response, limits, close=is_last, head=outcome.method == "HEAD"
        ):
            return
        conn.start_next_cycle()


async def _read_request(
    conn: h11.Connection, stream: trio.abc.Stream, app: ApiApp, limits: ApiLimits
) -> Request | Response | None:
    """The next request, an error response for a bad one, or None (closed or timed out)."""
    outcome: Request | Response | None = None
    with trio.move_on_after(limits.request_timeout_s) as scope, app.waiting.hold(scope):
        outcome = await _receive_or_reject(conn, stream, limits)
    if scope.cancelled_caught:
        app.stats.timeouts += 1
        logger.debug("api request timed out or evicted; closing")
    return outcome


async def _receive_or_reject(
    conn: h11.Connection, stream: trio.abc.Stream, limits: ApiLimits
) -> Request | Response | None:
    try:
        return await _receive_request(conn, stream, limits)
    except h11.RemoteProtocolError as exc:
        return error_response(exc.error_status_hint, f"malformed HTTP request: {exc}")
    except _BodyTooLargeError as exc:
        return error_response(413, f"body exceeds {exc.args[0]} bytes")


async def _receive_request(
    conn: h11.Connection, stream: trio.abc.Stream, limits: ApiLimits
) -> Request | None:
    event = await _next_event(conn, stream, limits)
    if not isinstance(event, h11.Request):
        return None  # ConnectionClosed before a request
    if event.http_version not in (b"1.0", b"1.1"):
        raise h11.RemoteProtocolError("only HTTP/1.0 and HTTP/1.1 are served", 505)
    head_size = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
    if head_size > limits.max_header_bytes:  # h11 bounds only heads that arrive in pieces
        raise h11.RemoteProtocolError(f"headers exceed {limits.max_header_bytes} bytes", 431)
    headers = _decode_headers(event.headers)
    declared = headers.get("content-length")
    max_body = _body_limit(event.method, event.target, limits)
    if declared is not None and int(declared) > max_body:
        raise _BodyTooLargeError(max_body)
    if conn.they_are_waiting_for_100_continue:
        await stream.send_all(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
    body = await _receive_body(conn, stream, limits, max_body)
    path, query = _decode_target(event.target)
    return Request(event.method.decode("ascii").upper(), path, headers, body, query)


def _body_limit(method: bytes, target: bytes, limits: ApiLimits) -> int:
    is_blob_upload = method == b"PUT" and target.startswith(b"/blobs/")
    return limits.max_blob_bytes if is_blob_upload else limits.max_body_bytes


async def _receive_body(
    conn: h11.Connection, stream: trio.abc.Stream, limits: ApiLimits, max_body: int
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await _next_event(conn, stream, limits)
        if isinstance(event, h11.EndOfMessage):
            return b"".join(chunks)
        if not isinstance(event, h11.Data):
            raise h11.RemoteProtocolError("unexpected event in request body", 400)
        size += len(event.data)
        if size > max_body:
            raise _BodyTooLargeError(max_body)
        chunks.append(bytes(event.data))


async def _next_event(conn: h11.Connection, stream: trio.abc.Stream, limits: ApiLimits) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await stream.receive_some(limits.read_chunk_bytes))


def _decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _decode_target(target: bytes) -> tuple[str, str]:
    """The path and the query string of a request target (a fragment is dropped)."""
    try:
        text = target.decode("ascii")
    except UnicodeDecodeError:
        raise h11.RemoteProtocolError("request target is not ASCII", 400) from None
    if not text.startswith("/"):
        raise h11.RemoteProtocolError("request target must be an absolute path", 400)
    path, _, query = text.split("#", 1)[0].partition("?")
    return path, query


async def _send(
    conn: h11.Connection,
    stream: trio.abc.Stream,
    response: Response,
    limits: ApiLimits,
    *,
    close: bool,
    head: bool = False,
) -> bool:
    """Write ``response``; whether the connection can serve another request."""
    headers = [
        ("content-type", response.content_type),
        ("content-length", str(len(response.body))),
        *response.headers,
    ]
    if close:
        headers.append(("connection", "close"))
    reason = REASONS.get(response.status, "")
    data = conn.send(h11.Response(status_code=response.status, headers=headers, reason=reason))
    if response.body and not head:
        data += conn.send(h11.Data(data=response.body))
    data += conn.send(h11.EndOfMessage())
    with trio.move_on_after(limits.write_timeout_s) as scope:
        await stream.send_all(data)
    if not scope.cancelled_caught:
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE
    logger.debug("api response write timed out; closing")
    return False


async def _linger(stream: trio.abc.Stream, limits: ApiLimits) -> None:
    """After an error reply, read and drop what the client still sends (briefly), so that
    closing does not reset the connection before the client has read the reply."""
    if isinstance(stream, trio.abc.HalfCloseableStream):
        await stream.send_eof()
    with trio.move_on_after(limits.linger_s):
        dropped = 0
        while dropped < 4 * limits.max_body_bytes:
            chunk = await stream.receive_some(limits.read_chunk_bytes)
            if not chunk:
                return
            dropped += len(chunk)
