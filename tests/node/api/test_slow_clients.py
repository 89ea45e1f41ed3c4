"""Hundreds of slow clients (half-open connections that trickle a request head and stall)
cannot starve normal requests: a full server evicts the connection that has waited longest."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import trio

from node.api import ApiLimits, serve_api
from node.api.client import ApiClient
from node.network.memory import MemoryHub
from tests.node.api.cluster import CHAIN_ID, KEYS, make_node

SLOW_CLIENTS = 200
SLOTS = 16


async def open_slow_client(port: int) -> trio.SocketStream:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(b"GET /status HTTP/1.1\r\nhost: n\r\n")  # never finishes the head
    return stream


async def test_slow_clients_cannot_starve_a_normal_request(tmp_path: Path) -> None:
    node = make_node(MemoryHub(), KEYS[0], tmp_path / "n", KEYS[:1])
    limits = ApiLimits(max_connections=SLOTS, request_timeout_s=30.0)
    try:
        async with trio.open_nursery() as nursery:
            serve = partial(serve_api, limits=limits)
            port = await nursery.start(serve, node, "127.0.0.1", 0, "")
            slow = [await open_slow_client(port) for _ in range(SLOW_CLIENTS)]
            await trio.sleep(0.5)  # every slot is held by a slow client
            client = ApiClient(f"http://127.0.0.1:{port}", timeout_s=5.0)
            with trio.fail_after(10):  # far below the slow clients' 30 s request timeout
                for _ in range(3):
                    status = await trio.to_thread.run_sync(client.get_status)
                    assert status["chain_id"] == CHAIN_ID
                metrics = await trio.to_thread.run_sync(client.get_text, "/metrics")
            evicted = next(
                float(line.split()[-1])
                for line in metrics.splitlines()
                if line.startswith("deltachain_api_evicted_connections_total")
            )
            assert evicted >= SLOW_CLIENTS - SLOTS
            for stream in slow:
                await stream.aclose()
            nursery.cancel_scope.cancel()
    finally:
        node.storage.close()
