"""Speculative training: a delta trained on a proposed version, published once that version is
final, is bit for bit the delta training after finality makes. Two validators (both needed for
a quorum) on the in-memory network with a latency that leaves the vote time to train; the same
run with speculation off must give the same model hash version by version."""

from __future__ import annotations

from pathlib import Path

import trio

from consensus.ledger.devnet import make_keys
from node.learning.settings import TrainingConfig
from node.learning.trainer import Trainer, TrainerStats
from node.network.memory import MemoryHub
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node

KEYS = list(make_keys(2, namespace=91))
OPTIONS = TestnetOptions(  # both deltas in each version
    validators=2, chain_id="specnet", task=TaskOptions(model_id="logreg-digits", min_deltas=2)
)
TASK, SNAPSHOT = build_task(OPTIONS)
GENESIS = build_genesis(OPTIONS, KEYS, TASK)
VERSIONS = 4


async def learn(home: Path, *, speculate: bool) -> tuple[list[bytes], list[TrainerStats]]:
    """Run both validators with trainers until version ``VERSIONS``; the model hashes of
    versions 1.. on node 0, and each trainer's counters."""
    hub = MemoryHub(latency_s=0.05)
    homes = [home / f"n{i}" for i in range(2)]
    nodes = [make_node(hub, k, homes[i], KEYS, GENESIS) for i, k in enumerate(KEYS)]
    for node_home in homes:
        BlobStore(node_home / "blobs").put(SNAPSHOT)
    trainers = [
        Trainer(n, k, TrainingConfig(shard_index=i, num_shards=2, speculate=speculate))
        for i, (n, k) in enumerate(zip(nodes, KEYS, strict=True))
    ]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        for trainer in trainers:
            await nursery.start(trainer.run)
        with trio.fail_after(120):
            while min(n.get_chain_state().tasks[1].version for n in nodes) < VERSIONS:
                await trio.sleep(0.05)
        models, others = (n.get_models(1)[:VERSIONS] for n in nodes)
        nursery.cancel_scope.cancel()
    assert [m.version for m in models] == list(range(1, VERSIONS + 1))
    assert [m.model_hash for m in models] == [m.model_hash for m in others]
    return [m.model_hash for m in models], [t.stats for t in trainers]


async def test_speculative_deltas_give_the_versions_training_after_finality_gives(
    tmp_path: Path,
) -> None:
    speculated, stats = await learn(tmp_path / "on", speculate=True)
    published = sum(s.speculative_published for s in stats)
    assert published >= 2, [s.get_metrics() for s in stats]
    assert sum(s.speculative_dropped for s in stats) == 0
    assert all(s.failures == 0 for s in stats)
    after_finality, plain = await learn(tmp_path / "off", speculate=False)
    assert sum(s.speculative_jobs for s in plain) == 0
    assert speculated == after_finality
