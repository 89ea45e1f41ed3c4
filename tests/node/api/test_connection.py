"""HTTP edge cases on the real connection handler over memory streams (virtual clock): bad
input gets a 4xx, a failing handler a 500, a slow client is cut, and serving goes on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
import trio.testing

from node.api import ApiApp, ApiLimits, exchange_bytes, handle_connection, request_in_memory
from node.api.memory import build_request, parse_replies
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.api.cluster import KEYS, make_node

STATUS = b"GET /status HTTP/1.1\r\nhost: n\r\n\r\n"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    chain_node = make_node(MemoryHub(), KEYS[0], tmp_path / "node", KEYS)
    yield chain_node
    chain_node.storage.close()


async def send_raw(app: ApiApp, data: bytes) -> tuple[int, str]:
    reply = parse_replies(await exchange_bytes(app, data), 1)[0]
    return reply.status, reply.json()["message"]


async def assert_still_serving(app: ApiApp) -> None:
    assert (await request_in_memory(app, "GET", "/status")).status == 200


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"\x00\xff garbage \r\n\r\n", 400),
        (b"GET /status HTTP/9.9\r\n\r\n", 505),
        (b"GET status HTTP/1.1\r\nhost: n\r\n\r\n", 400),
        (b"GET /st\xe9tus HTTP/1.1\r\nhost: n\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nhost: n\r\nbad header\r\n\r\n", 400),
        (b"GET /status HTTP/1.1\r\nhost: n\r\nx: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"POST /txs HTTP/1.1\r\nhost: n\r\ncontent-length: abc\r\n\r\n", 400),
        (b"POST /txs HTTP/1.1\r\nhost: n\r\ncontent-length: 50\r\n\r\nshort", 400),
        (b"POST /txs HTTP/1.1\r\nhost: n\r\ncontent-length: 99999999\r\n\r\nxx", 413),
        (
            b"POST /txs HTTP/1.1\r\nhost: n\r\ntransfer-encoding: chunked\r\n\r\n"
            + b"8000\r\n" + b"a" * 0x8000 + b"\r\n"
            + b"8000\r\n" + b"a" * 0x8000 + b"\r\n"
            + b"8000\r\n" + b"a" * 0x8000 + b"\r\n0\r\n\r\n",
            413,
        ),
        (b"POST /txs HTTP/1.1\r\nhost: n\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", 400),
    ],
)  # fmt: skip
async def test_connection_malformed_http_gets_4xx_and_serving_goes_on(
    node: ChainNode, autojump_clock: trio.testing.MockClock, data: bytes, status: int
) -> None:
    app = ApiApp(node)
    got, message = await send_raw(app, data)
    assert got == status, message
    assert app.stats.bad_http == 1 and app.stats.open_connections == 0
    await assert_still_serving(app)


@pytest.mark.parametrize(
    "case",
    [
        ("GET", "/nowhere", b"", "", 404, "no route"),
        ("GET", "/nowhere/at/all", b"", "", 404, "no route"),
        ("GET", "/blocks/abc", b"", "", 400, "height"),
        ("GET", "/blocks/99999999999999999999999", b"", "", 400, "height"),
        ("GET", "/blocks/9223372036854775807", b"", "", 404, "no final block"),
        ("GET", "/blocks/9223372036854775808", b"", "", 400, "2^63"),
        ("GET", "/tasks/1/models/18446744073709551615/contributions", b"", "", 400, "version"),
        ("GET", "/blocks/latest", b"", "", 404, "no block"),
        ("GET", "/txs/zz", b"", "", 400, "hash"),
        ("GET", "/txs/" + "ab" * 31, b"", "", 400, "32 bytes"),
        ("GET", "/txs/" + "ab" * 32, b"", "", 404, "not in a final block"),
        ("GET", "/accounts/" + "g" * 64, b"", "", 400, "hex"),
        ("GET", "/tasks/-1", b"", "", 400, "task_id"),
        ("DELETE", "/status", b"", "", 405, "not allowed"),
        ("GET", "/txs", b"", "", 405, "not allowed"),
        ("POST", "/txs", b"\xa1\x00", "application/cbor", 400, "canonical"),
        ("POST", "/txs", b"\x81\x01\x02", "application/cbor", 400, "canonical"),
        ("POST", "/txs", b"", "application/cbor", 400, "empty"),
        ("POST", "/txs", b"{", "application/json", 400, "not JSON"),
        ("POST", "/txs", b'{"tx": 5}', "application/json", 400, "expected"),
        ("POST", "/txs", b'{"tx": "zz"}', "application/json", 400, "hex"),
        ("POST", "/txs", b"[" * 5000, "application/json", 400, "not JSON"),
        ("POST", "/txs", b"tx=00", "text/plain", 415, "not accepted"),
    ],
)
async def test_connection_bad_requests_get_specific_errors(
    node: ChainNode,
    autojump_clock: trio.testing.MockClock,
    case: tuple[str, str, bytes, str, int, str],
) -> None:
    method, path, body, content_type, status, says = case
    app = ApiApp(node)
    headers = [("content-type", content_type)] if content_type else []
    reply = await request_in_memory(app, method, path, body, headers=headers)
    assert reply.status == status
    error = reply.json()
    assert error["status"] == status and says in error["message"]
    if status == 405:
        assert reply.headers["allow"] in {"GET", "POST"}


async def test_connection_handler_failure_is_a_500_with_a_log_line(
    node: ChainNode, autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = ApiApp(node)
    node.storage.close()  # every store query now raises sqlite3.ProgrammingError
    with caplog.at_level(logging.ERROR, logger="node.api.app"):
        reply = await request_in_memory(app, "GET", "/blocks/1")
    assert reply.status == 500 and "ProgrammingError" in reply.json()["message"]
    assert any("api handler failed" in r.getMessage() for r in caplog.records)
    assert app.stats.server_errors == 1
    assert (await request_in_memory(app, "GET", "/validators")).status == 200


async def test_connection_slowloris_is_cut_after_the_request_timeout(
    node: ChainNode, autojump_clock: trio.testing.MockClock
) -> None:
    app, limits = ApiApp(node), ApiLimits(request_timeout_s=5.0)
    client, server = trio.testing.memory_stream_pair()
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(handle_connection, server, app, limits)
        for byte in STATUS[:-2]:  # one byte a second, never finishing the headers
            try:
                await client.send_all(bytes([byte]))
            except trio.BrokenResourceError:
                break
            await trio.sleep(1.0)
    assert 5.0 <= trio.current_time() - start < 7.0
    assert app.stats.timeouts == 1 and app.stats.open_connections == 0
    assert await exchange_bytes(app, b"GET /st", limits, half_close=False) == b""
    await assert_still_serving(app)


async def test_connection_keep_alive_serves_pipelined_requests_up_to_the_limit(
    node: ChainNode, autojump_clock: trio.testing.MockClock
) -> None:
    app = ApiApp(node)
    raw = await exchange_bytes(app, STATUS * 3)
    replies = parse_replies(raw, 3)
    assert [r.status for r in replies] == [200, 200, 200]
    limited = ApiLimits(max_requests_per_connection=2)
    raw = await exchange_bytes(app, STATUS * 3, limited, half_close=False)
    _, second = parse_replies(raw, 2)
    assert second.headers["connection"] == "close"
    assert raw.count(b"HTTP/1.1 200") == 2


async def test_connection_http10_and_head_requests(
    node: ChainNode, autojump_clock: trio.testing.MockClock
) -> None:
    app = ApiApp(node)
    raw = await exchange_bytes(app, b"GET /status HTTP/1.0\r\n\r\n", half_close=False)
    assert raw.startswith(b"HTTP/1.1 200") and b'"chain_id":"apinet"' in raw
    raw = await exchange_bytes(app, b"HEAD /status HTTP/1.1\r\nhost: n\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"\r\n\r\n")
    assert b"content-length: 0" not in raw  # the length of the GET body, without the body
    raw = await exchange_bytes(app, b"HEAD /txs HTTP/1.1\r\nhost: n\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 405") and raw.endswith(b"\r\n\r\n")


async def test_connection_token_rule_guards_only_submission(
    node: ChainNode, autojump_clock: trio.testing.MockClock
) -> None:
    app = ApiApp(node, token="s3cret", require_token=True)
    cbor = ("content-type", "application/cbor")
    for auth in ([], [("authorization", "Bearer wrong")], [("authorization", "Basic s3cret")]):
        reply = await request_in_memory(app, "POST", "/txs", b"\x00", headers=[cbor, *auth])
        assert reply.status == 401 and reply.headers["www-authenticate"] == "Bearer"
    good = [cbor, ("authorization", "Bearer s3cret")]
    reply = await request_in_memory(app, "POST", "/txs", b"\x00", headers=good)
    assert reply.status == 400  # past the token check, refused by the strict decoder
    assert (await request_in_memory(app, "GET", "/status")).status == 200
    open_app = ApiApp(node)
    reply = await request_in_memory(open_app, "POST", "/txs", b"\x00", headers=[cbor])
    assert reply.status == 400


def test_connection_build_request_is_well_formed() -> None:
    raw = build_request("POST", "/txs", b"ab", [("content-type", "application/cbor")])
    assert raw.startswith(b"POST /txs HTTP/1.1\r\n") and raw.endswith(b"\r\n\r\nab")
