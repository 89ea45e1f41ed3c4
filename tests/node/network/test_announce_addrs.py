"""``announce_addrs`` (``p2p.external_address``): what a node tells peers, not where it listens."""

from __future__ import annotations

import socket

from node.network.libp2p_network import Libp2pNetwork
from node.network.store import MemoryStore
from tests.node.network.conftest import CHAIN, GENESIS, make_config, wait_until


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_announced_address_replaces_listen_address_and_peers_still_connect() -> None:
    store = MemoryStore(CHAIN, GENESIS)
    port = _free_port()
    external = f"/ip4/10.9.9.9/tcp/{port}"
    a = Libp2pNetwork(
        make_config(0, listen_addrs=(f"/ip4/127.0.0.1/tcp/{port}",), announce_addrs=(external,)),
        store.providers(),
    )
    dial = f"/ip4/127.0.0.1/tcp/{port}/p2p/{a.peer_id}"
    b = Libp2pNetwork(make_config(1, bootstrap_peers=(dial,)), store.providers())
    async with a, b:
        assert a.listen_addrs() == [f"{external}/p2p/{a.peer_id}"]
        await wait_until(lambda: a.peer_id in b.connected_peers(), timeout_s=20)
