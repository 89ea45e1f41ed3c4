"""App tasks on the chain (in-memory network, virtual clock): every node aggregates deltas on
the layout alone, reaches the same model, and none of them ever imports the app's code."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import trio
import trio.testing

from consensus.crypto import KeyPair
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import ModelDelta
from ml.codec.delta import CodecConfig, encode_delta
from node.chain.chain_node import ChainNode
from node.chain.task_model import get_task_layout
from node.network.memory import MemoryHub
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.app_chain import (
    LAYOUT,
    make_app_genesis,
    make_app_task,
    make_marker_bundle,
)

KEYS = list(make_keys(4, namespace=91))


async def submit_delta(node: ChainNode, key: KeyPair, index: int) -> None:
    values = np.random.Generator(np.random.PCG64(index)).normal(0, 0.1, LAYOUT.num_params)
    payload = encode_delta(values.astype(np.float32), LAYOUT.model_id, LAYOUT.shapes, CodecConfig())
    payload_hash = node.storage.blobs.put(payload)
    body = ModelDelta(1, 0, payload_hash, len(payload), 10 + index)
    await node.submit_transaction(sign_transaction(key, "appnet", 0, body))


async def test_app_task_aggregates_on_every_node_without_importing_the_app(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    marker = tmp_path / "imported.txt"
    app = make_app_task(make_marker_bundle(marker))
    genesis, tasks, snapshots = make_app_genesis(KEYS, [app], "appnet", min_deltas=4)
    assert get_task_layout(tasks[0]) == LAYOUT
    hub = MemoryHub(latency_s=0.002)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    BlobStore(homes[0] / "blobs").put(snapshots[0])
    nodes = [make_node(hub, k, homes[i], KEYS, genesis) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        for i, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
            await submit_delta(node, key, i)
        with trio.fail_after(120):
            while min(n.get_chain_state().tasks[1].version for n in nodes) < 1:
                await trio.sleep(0.05)
        models = {n.get_chain_state().tasks[1].model_hash for n in nodes}
        assert len(models) == 1 and models != {tasks[0].initial_model_hash}
        assert all(r.accepted for r in nodes[0].get_contributions(1, 1))
        nursery.cancel_scope.cancel()
    assert not marker.exists(), "a node that does not train imported the app"
    assert f"deltachain_app_{app.app_hash.hex()[:32]}" not in sys.modules
