"""mDNS (optional): two nodes with no configured peers find and dial each other."""

from node.network.libp2p_network import Libp2pNetwork
from node.network.store import MemoryStore
from tests.node.network.conftest import CHAIN, GENESIS, make_config, wait_until


async def test_mdns_discovered_peers_are_dialed() -> None:
    store = MemoryStore(CHAIN, GENESIS)
    a = Libp2pNetwork(make_config(0, enable_mdns=True), store.providers())
    b = Libp2pNetwork(make_config(1, enable_mdns=True), store.providers())
    async with a, b:
        # both dial on discovery and one of the two connections is closed (one per peer), so
        # a side may see none for a moment: wait for the pair, not for one side
        await wait_until(
            lambda: b.peer_id in a.connected_peers() and a.peer_id in b.connected_peers(),
            timeout_s=20,
        )
