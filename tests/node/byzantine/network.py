"""In-memory networks of chain nodes, some of them Byzantine, for the byzantine tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import trio
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from consensus.genesis import Genesis
from node.byzantine.base import Misbehaviour
from node.chain.chain_node import ChainNode
from node.network.config import NetworkConfig
from node.network.memory import MemoryHub, MemoryNetwork
from node.network.peer_id import compute_peer_id
from node.network.values import Providers, Status, Verdict
from node.storage.layout import compute_genesis_hash


def virtual_ms() -> int:
    return int(trio.current_time() * 1000)


def make_node(
    hub: MemoryHub,
    key: KeyPair,
    home: Path,
    peers: Sequence[KeyPair],
    genesis: Genesis,
    *,
    misbehaviour: Misbehaviour | None = None,
) -> ChainNode:
    bootstrap = tuple(f"/memory/p2p/{compute_peer_id(p.seed)}" for p in peers if p != key)

    def factory(providers: Providers) -> MemoryNetwork:
        config = NetworkConfig(
            chain_id=genesis.chain_id, key_seed=key.seed, bootstrap_peers=bootstrap
        )
        return MemoryNetwork(hub, config, providers)

    return ChainNode(
        genesis,
        key=key,
        data_dir=home,
        network_factory=factory,
        now_ms=virtual_ms,
        misbehaviour=misbehaviour,
    )


def make_nodes(
    hub: MemoryHub,
    keys: Sequence[KeyPair],
    home: Path,
    genesis: Genesis,
    byzantine: dict[int, Misbehaviour],
) -> list[ChainNode]:
    """One node per key; node ``i`` plays ``byzantine[i]`` when given."""
    return [
        make_node(hub, key, home / f"n{i}", keys, genesis, misbehaviour=byzantine.get(i))
        for i, key in enumerate(keys)
    ]


async def wait_for_height(nodes: Sequence[ChainNode], height: int) -> None:
    while min(n.get_chain_state().height for n in nodes) < height:
        await trio.sleep(0.05)


def final_hashes(node: ChainNode, upto: int) -> list[bytes]:
    """The hashes of ``node``'s final blocks 1..``upto``."""
    hashes = []
    for height in range(1, upto + 1):
        finalized = node.get_finalized(height)
        assert finalized is not None, f"height {height} is not final on {node.moniker}"
        hashes.append(finalized.block.hash)
    return hashes


def assert_same_chain(nodes: Sequence[ChainNode]) -> int:
    """Every node finalized the same block at every height all of them reached; that height."""
    upto = min(n.get_chain_state().height for n in nodes)
    chains = [final_hashes(n, upto) for n in nodes]
    assert all(chain == chains[0] for chain in chains)
    return upto


class GossipRecorder:
    """A bare network peer on the hub that records every message of one gossip topic.

    It is a real peer: the nodes dial it, forward to it, and may ask it for blocks (it has
    none) or its status (height 0).
    """

    def __init__(self, hub: MemoryHub, seed: bytes, genesis: Genesis, peers: Sequence[KeyPair]):
        bootstrap = tuple(f"/memory/p2p/{compute_peer_id(p.seed)}" for p in peers)
        status = Status(genesis.chain_id, compute_genesis_hash(genesis), 0)
        providers = Providers(lambda _hash: None, lambda _start, _end: [], lambda: status)
        config = NetworkConfig(chain_id=genesis.chain_id, key_seed=seed, bootstrap_peers=bootstrap)
        self.network = MemoryNetwork(hub, config, providers)
        self.messages: list[bytes] = []

    async def run(self, topic: str, *, task_status: TaskStatus[None]) -> None:
        async with self.network:
            channel = await self.network.subscribe(topic, lambda _peer, _data: Verdict.ACCEPT)
            task_status.started()
            async for message in channel:
                self.messages.append(message.data)
