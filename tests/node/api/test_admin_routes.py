"""``/admin/blocked-peers`` on a real node's network, ``peer_id`` in ``/status``, the client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
import trio.testing

from node.api import ApiApp, ApiClient, request_in_memory
from node.api.errors import BadRequestError
from node.api.openapi import build_openapi
from node.api.routes import ROUTES
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from node.network.peer_id import compute_peer_id
from node.network.values import BlockList
from tests.node.api.cluster import KEYS, ServedNode, make_node, wait_for_height
from tests.node.api.test_api_node import check_shape

JSON = ("content-type", "application/json")
PEER_A = compute_peer_id(KEYS[1].seed)
PEER_B = compute_peer_id(KEYS[2].seed)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    chain_node = make_node(MemoryHub(), KEYS[0], tmp_path / "n0", KEYS)
    yield chain_node
    chain_node.storage.close()


async def put(app: ApiApp, body: object, headers: tuple[tuple[str, str], ...] = (JSON,)) -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = await request_in_memory(app, "PUT", "/admin/blocked-peers", raw, headers=headers)
    return reply.status


async def test_admin_blocked_peers_round_trip_reaches_the_network(node: ChainNode) -> None:
    app = ApiApp(node)
    reply = await request_in_memory(app, "GET", "/admin/blocked-peers")
    assert reply.status == 200 and reply.json() == {"peers": [], "all": False}
    body = {"peers": [PEER_B, PEER_A, PEER_A], "all": False}
    reply = await request_in_memory(
        app, "PUT", "/admin/blocked-peers", json.dumps(body).encode(), headers=[JSON]
    )
    assert reply.status == 200 and reply.json() == {"peers": sorted([PEER_A, PEER_B]), "all": False}
    check_shape(reply.json(), "BlockedPeers")
    assert node.network.get_blocked() == BlockList(frozenset({PEER_A, PEER_B}), False)
    assert await put(app, {"peers": [], "all": True}) == 200
    assert node.network.get_blocked() == BlockList(frozenset(), True)
    reply = await request_in_memory(app, "GET", "/admin/blocked-peers")
    assert reply.json() == {"peers": [], "all": True}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        [PEER_A],
        {"peers": [PEER_A]},
        {"peers": [PEER_A], "all": False, "extra": 1},
        {"peers": PEER_A, "all": False},
        {"peers": [PEER_A], "all": "yes"},
        {"peers": [PEER_A], "all": 1},
        {"peers": [""], "all": False},
        {"peers": [7], "all": False},
        {"peers": ["0OIl"], "all": False},
        {"peers": ["x" * 129], "all": False},
        {"peers": [PEER_A] * 1025, "all": False},
    ],
)
async def test_admin_bad_bodies_are_400_and_change_nothing(node: ChainNode, body: object) -> None:
    app = ApiApp(node)
    node.network.set_blocked(frozenset({PEER_B}), block_all=False)
    reply = await request_in_memory(
        app,
        "PUT",
        "/admin/blocked-peers",
        body if isinstance(body, bytes) else json.dumps(body).encode(),
        headers=[JSON],
    )
    assert reply.status == 400 and reply.json()["message"]
    assert node.network.get_blocked() == BlockList(frozenset({PEER_B}), False)


async def test_admin_needs_json_and_the_token_off_loopback(node: ChainNode) -> None:
    body = {"peers": [], "all": True}
    assert await put(ApiApp(node), body, headers=()) == 415
    guarded = ApiApp(node, token="secret", require_token=True)
    assert await put(guarded, body) == 401
    assert await put(guarded, body, headers=(JSON, ("authorization", "Bearer secret"))) == 200
    assert (await request_in_memory(guarded, "GET", "/admin/blocked-peers")).status == 200


async def test_admin_without_a_network_is_404(node: ChainNode) -> None:
    app = ApiApp(node)
    assert app.peers is node.network  # found on the view by default
    app.peers = None  # as for a view without a network
    reply = await request_in_memory(app, "GET", "/admin/blocked-peers")
    assert reply.status == 404 and "no network" in reply.json()["message"]


def test_admin_routes_in_openapi() -> None:
    paths = build_openapi(ROUTES)["paths"]["/admin/blocked-peers"]
    assert set(paths) == {"get", "put"}
    body = paths["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/BlockedPeers"}
    assert paths["put"]["security"] == [{}, {"bearer": []}]


def test_admin_client_over_a_real_socket(tmp_path: Path) -> None:
    with ServedNode(tmp_path / "served") as served:
        client = ApiClient(served.url)
        status = client.get_status()
        assert status["peer_id"] == compute_peer_id(KEYS[0].seed)
        assert client.put_blocked_peers([PEER_A], all_=False) == {"peers": [PEER_A], "all": False}
        assert client.get_blocked_peers() == {"peers": [PEER_A], "all": False}
        assert client.put_blocked_peers([], all_=False) == {"peers": [], "all": False}
        with pytest.raises(BadRequestError, match="peer id"):
            client.put_blocked_peers(["not base58 0"], all_=False)


async def test_admin_disconnect_and_heal_a_validator_of_a_running_chain(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """What a scenario runner does on loopback: cut v3 off through the API (it blocks all,
    the others block it), see the others finalize without it, heal, see it catch up."""
    hub = MemoryHub(latency_s=0.002)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS) for i, k in enumerate(KEYS)]
    apps = [ApiApp(node) for node in nodes]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes[3], 2)
        ids = [(await request_in_memory(app, "GET", "/status")).json()["peer_id"] for app in apps]
        assert await put(apps[3], {"peers": [], "all": True}) == 200
        for app in apps[:3]:
            assert await put(app, {"peers": [ids[3]], "all": False}) == 200
        with trio.fail_after(10):
            while nodes[3].network.connected_peers():
                await trio.sleep(0.05)
        cut_at = nodes[3].get_chain_state().height
        with trio.fail_after(60):
            await wait_for_height(nodes[0], cut_at + 3)
        assert nodes[3].get_chain_state().height <= cut_at + 1
        status = (await request_in_memory(apps[0], "GET", "/status")).json()
        assert status["peers"] == 2
        for app in apps:
            assert await put(app, {"peers": [], "all": False}) == 200
        with trio.fail_after(60):
            await wait_for_height(nodes[3], nodes[0].get_chain_state().height)
        assert len(nodes[3].network.connected_peers()) == 3
        nursery.cancel_scope.cancel()
