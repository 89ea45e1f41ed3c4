"""The trainer never blocks the node's event loop on its worker process, even while the worker
is still importing torch and cannot read the job yet (the API used to freeze for 4-6 s)."""

from __future__ import annotations

from pathlib import Path

import trio

from node.learning.settings import TrainingConfig
from node.learning.trainer import Trainer
from node.network.memory import MemoryHub
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.test_learning_on_finality import GENESIS, KEYS, SNAPSHOT

TICK_S = 0.02
MAX_STALL_S = 1.0


async def test_trainer_first_job_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    hub = MemoryHub(latency_s=0.002)
    BlobStore(tmp_path / "blobs").put(SNAPSHOT)
    node = make_node(hub, KEYS[0], tmp_path, KEYS, GENESIS)
    trainer = Trainer(node, KEYS[0], TrainingConfig(shard_index=0, num_shards=1))
    stalls: list[float] = []

    async def tick() -> None:
        last = trio.current_time()
        while True:
            await trio.sleep(TICK_S)
            now = trio.current_time()
            stalls.append(now - last - TICK_S)
            last = now

    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        nursery.start_soon(tick)
        await nursery.start(trainer.run)  # the worker imports torch; the whole-data job is large
        with trio.fail_after(120):
            while trainer.stats.deltas_submitted < 1:
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
    assert trainer.stats.failures == 0
    assert max(stalls) < MAX_STALL_S, f"event loop stalled {max(stalls):.2f} s"
