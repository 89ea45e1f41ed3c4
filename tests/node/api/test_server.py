"""The API on real sockets: the stdlib client against a running node, random bytes thrown at the
socket (Hypothesis), the token rule on a non-loopback address."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.ledger.devnet import sign_transaction
from consensus.transactions import Transfer
from node.api import ApiClient, ApiError, ApiLimits, is_loopback_host, serve_api
from node.api.errors import (
    ApiUnavailableError,
    BadRequestError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableError,
)
from node.api.server import compute_dashboard_url
from node.api.waiting import WaitingRoom
from node.errors import ConfigError
from node.network.memory import MemoryHub
from tests.node.api.cluster import CHAIN_ID, KEYS, USER, ServedNode, make_node


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with ServedNode(tmp_path_factory.mktemp("served")) as node:
        yield node


def wait_final(client: ApiClient, tx_hash: str, timeout_s: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return client.get(f"/txs/{tx_hash}")
        except NotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_server_client_submits_and_reads_on_a_running_node(served: ServedNode) -> None:
    client = ApiClient(served.url)
    status = client.get_status()
    assert status["chain_id"] == CHAIN_ID and status["is_validator"] is True
    stx = sign_transaction(USER, CHAIN_ID, 0, Transfer(KEYS[1].address, 42))
    assert client.submit_tx(stx) == stx.hash.hex()
    found = wait_final(client, stx.hash.hex())
    assert found["kind"] == "Transfer"
    with pytest.raises(UnprocessableError) as refused:
        client.submit_tx(stx)  # its nonce is used now
    assert refused.value.status == 422 and "nonce" in refused.value.message
    with pytest.raises(NotFoundError) as missing:
        client.get("/blocks/999999")
    assert missing.value.status == 404 and "999999" in missing.value.message
    with pytest.raises(BadRequestError):
        client.get("/accounts/nothex")
    metrics = client.get_text("/metrics")
    assert "deltachain_api_requests_total" in metrics


def test_server_client_reports_an_unreachable_node() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ApiClient(f"http://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(ApiUnavailableError) as failed:
        client.get_status()
    assert failed.value.status == 0
    with pytest.raises(ApiError):
        ApiClient("ftp://example")


def throw(port: int, data: bytes) -> bytes:
    """Send ``data``, end our side, and read the reply until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


REQUEST_PREFIXES = [b"", b"GET / HTTP/1.1\r\n", b"POST /txs HTTP/1.1\r\nhost: x\r\n"]


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from(REQUEST_PREFIXES), noise=st.binary(max_size=2048))
def test_server_survives_random_bytes(served: ServedNode, prefix: bytes, noise: bytes) -> None:
    reply = throw(served.port, prefix + noise)
    if reply:  # either nothing (a request that never completed) or a real HTTP answer
        assert reply.startswith(b"HTTP/1.1 ")
        status = int(reply[9:12])
        assert status < 500 or status == 505
    assert ApiClient(served.url).get_status()["chain_id"] == CHAIN_ID


def test_server_oversized_and_lying_requests_then_serves(served: ServedNode) -> None:
    huge_head = b"GET /status HTTP/1.1\r\nhost: x\r\nx: " + b"a" * 20000 + b"\r\n\r\n"
    assert throw(served.port, huge_head).startswith(b"HTTP/1.1 431")
    big_body = b"POST /txs HTTP/1.1\r\nhost: x\r\ncontent-length: 200000\r\n\r\n" + b"a" * 200000
    assert throw(served.port, big_body).startswith(b"HTTP/1.1 413")
    lying = b"POST /txs HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc"
    assert throw(served.port, lying).startswith(b"HTTP/1.1 400")
    assert ApiClient(served.url).get("/validators")["validators"]


async def test_server_needs_a_token_off_loopback(tmp_path: Path) -> None:
    node = make_node(MemoryHub(), KEYS[0], tmp_path / "n", KEYS[:1])
    try:
        with pytest.raises(ConfigError):
            await serve_api(node, "0.0.0.0", 0, "")
        with pytest.raises(ConfigError, match="cannot listen"):
            await serve_api(node, "127.0.0.1", -5, "")
        async with trio.open_nursery() as nursery:
            port = await nursery.start(serve_api, node, "0.0.0.0", 0, "s3cret")
            stx = sign_transaction(USER, CHAIN_ID, 0, Transfer(KEYS[1].address, 1))
            anonymous = ApiClient(f"http://127.0.0.1:{port}")
            with pytest.raises(UnauthorizedError):
                await trio.to_thread.run_sync(anonymous.submit_tx, stx)
            status = await trio.to_thread.run_sync(anonymous.get_status)
            assert status["chain_id"] == CHAIN_ID
            allowed = ApiClient(f"http://127.0.0.1:{port}", token="s3cret")
            assert await trio.to_thread.run_sync(allowed.submit_tx, stx) == stx.hash.hex()
            nursery.cancel_scope.cancel()
    finally:
        node.storage.close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("", False), ("::", False),
     ("10.0.0.5", False), ("node.example", False)],
)  # fmt: skip
def test_server_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


async def test_server_full_of_idle_connections_evicts_the_oldest(tmp_path: Path) -> None:
    node = make_node(MemoryHub(), KEYS[0], tmp_path / "n", KEYS[:1])
    limits = ApiLimits(max_connections=2, request_timeout_s=5.0)
    try:
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve_api, limits=limits), node, "127.0.0.1", 0, "")
            oldest = await trio.open_tcp_stream("127.0.0.1", port)
            await trio.sleep(0.1)
            newer = await trio.open_tcp_stream("127.0.0.1", port)
            await trio.sleep(0.2)  # let the server accept both: it is full of idle clients
            status = await trio.to_thread.run_sync(ApiClient(f"http://127.0.0.1:{port}").get_status)
            assert status["chain_id"] == CHAIN_ID
            with trio.fail_after(2):
                assert await oldest.receive_some() == b"", "the oldest idle client was closed"
            with trio.move_on_after(0.3) as still_open:
                await newer.receive_some()
            assert still_open.cancelled_caught, "the newer idle client keeps its slot"
            for stream in (oldest, newer):
                await stream.aclose()
            nursery.cancel_scope.cancel()
    finally:
        node.storage.close()


async def test_server_waiting_room_has_nobody_to_evict_when_all_are_busy() -> None:
    room = WaitingRoom()
    assert not room.evict_oldest()  # the server answers 503 "too many connections" then
    first, second = trio.CancelScope(), trio.CancelScope()
    with room.hold(first), room.hold(second):
        assert room.evict_oldest() and first.cancel_called and not second.cancel_called
        assert len(room) == 1
    assert len(room) == 0 and room.evicted == 1


def test_server_dashboard_url_names_a_reachable_host() -> None:
    assert compute_dashboard_url("127.0.0.1", 8600) == "http://127.0.0.1:8600/"
    assert compute_dashboard_url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert compute_dashboard_url("", 81) == "http://127.0.0.1:81/"
    assert compute_dashboard_url("::1", 82) == "http://[::1]:82/"
    assert compute_dashboard_url("node.example", 83) == "http://node.example:83/"
