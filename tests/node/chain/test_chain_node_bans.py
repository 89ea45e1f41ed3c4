"""A chain node on the real network keeps finalizing while it bans hostile peers (issue 12).

One validator finalizes on its own; a hostile py-libp2p peer in its own process gossips
garbage votes or sends malformed block-range requests until it is banned. Before the fix each
ban could end the node (``KeyError`` in py-libp2p's blacklist teardown).
"""

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trio

from consensus.ledger.devnet import make_devnet_genesis, make_keys
from node.chain.chain_node import ChainNode
from node.network.config import NetworkConfig
from node.network.devnode_control import get_free_port, open_devnodes
from node.network.libp2p_network import Libp2pNetwork
from node.network.peer_id import compute_peer_id
from node.network.values import Providers, TopicKind, get_topic_name

pytestmark = pytest.mark.multiprocess
CHAIN = "bannet"
KEY = make_keys(1, namespace=87)[0]
ATTACKER = compute_peer_id(hashlib.sha256(b"attacker-0").digest())


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def make_node(home: Path, listen: str) -> ChainNode:
    genesis = make_devnet_genesis(CHAIN, [KEY], time_ms=wall_ms())
    config = NetworkConfig(CHAIN, KEY.seed, listen_addrs=(listen,))

    def factory(providers: Providers) -> Libp2pNetwork:
        return Libp2pNetwork(config, providers)

    return ChainNode(genesis, key=KEY, data_dir=home, network_factory=factory, now_ms=wall_ms)


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    with trio.fail_after(timeout_s):
        while not predicate():
            await trio.sleep(0.05)


@pytest.mark.parametrize(
    ("mode", "count", "reason"),
    [("garbage-gossip", 6, "rejected-message"), ("bad-blocks", 3, "malformed-frame")],
)
async def test_chain_node_keeps_finalizing_while_banning(
    tmp_path: Path, mode: str, count: int, reason: str
) -> None:
    listen = f"/ip4/127.0.0.1/tcp/{get_free_port()}"
    node = make_node(tmp_path, listen)
    async with trio.open_nursery() as nursery, open_devnodes() as processes:
        await nursery.start(node.run)
        await wait_for(lambda: node.get_state().chain.height >= 2)
        target = f"{listen}/p2p/{node.network.peer_id}"
        attacker = await processes.spawn(
            "node.network.attacker",
            *("--target", target, "--chain", CHAIN, "--mode", mode, "--rounds", "1"),
            *("--topic", get_topic_name(CHAIN, TopicKind.VOTES), "--count", str(count)),
        )
        await attacker.expect(lambda e: e["event"] == "round", timeout_s=30)
        await wait_for(lambda: node.network.is_banned(ATTACKER))
        await wait_for(lambda: ATTACKER not in node.network.connected_peers())
        height = node.get_state().chain.height
        await wait_for(lambda: node.get_state().chain.height >= height + 3)
        metrics = node.get_metrics()
        assert metrics["deltachain_peer_bans_total"] == 1
        assert metrics[f'deltachain_peer_rejections_total{{reason="{reason}"}}'] >= 3
        nursery.cancel_scope.cancel()
