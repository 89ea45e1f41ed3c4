"""ALIE on a real node: estimated from the latest version's benign payloads, else honest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trio
import trio.testing

from consensus.transactions import ModelDelta
from ml.attacks import little_is_enough
from ml.codec.delta import decode_delta
from ml.data.datasets import Dataset
from ml.models import get_model_spec
from ml.training.config import Metrics, TrainConfig
from ml.training.jobs import TrainingDone, TrainingJob
from node.byzantine.alie import compute_alie_delta
from node.learning.settings import TrainingConfig
from node.learning.trainer import Trainer
from node.network.memory import MemoryHub
from tests.node.byzantine.learning import (
    GENESIS,
    KEYS,
    MODEL,
    get_version,
    make_delta_values,
    seed_snapshot,
    submit_delta,
)
from tests.node.byzantine.network import make_nodes


def make_job(version: int, delta: np.ndarray) -> tuple[TrainingJob, TrainingDone]:
    spec = get_model_spec(MODEL)
    shard = Dataset(np.zeros((1, 64), np.float32), np.zeros(1, np.int64), 10)
    weights = np.zeros(spec.num_params, np.float32)
    job = TrainingJob(1, MODEL, version, weights, shard, TrainConfig(1, 32, 0.1), 0)
    return job, TrainingDone(1, version, delta, 50, Metrics(1.0, 0.5))


async def test_alie_delta_differs_from_honest_once_benign_deltas_are_known(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    seed_snapshot(tmp_path / "n0")
    nodes = make_nodes(hub, KEYS, tmp_path, GENESIS, {})
    attacker, address = nodes[3], KEYS[3].address
    honest_delta = make_delta_values(9, 1)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        assert compute_alie_delta(attacker, 1, 0, address, honest_delta) is honest_delta
        for index, (node, key) in enumerate(zip(nodes, KEYS, strict=True)):
            await submit_delta(node, key, index, 0)
        with trio.fail_after(120):
            while get_version(attacker) < 1:
                await trio.sleep(0.05)
        accepted = {r.sender for r in attacker.get_contributions(1, 1) if r.accepted}
        benign = [
            make_delta_values(i, 0)
            for i, k in enumerate(KEYS)
            if k.address in accepted and k.address != address
        ]
        alie = compute_alie_delta(attacker, 1, 1, address, honest_delta)
        expected = little_is_enough(np.stack(benign), len(benign) + 1, 1)
        assert len(benign) >= 2
        np.testing.assert_allclose(alie, expected, rtol=1e-5, atol=1e-8)
        assert not np.allclose(alie, honest_delta)

        trainer = Trainer(attacker, KEYS[3], TrainingConfig(attack="alie"))
        await trainer.submit_delta(*make_job(1, honest_delta))
        sent = [stx for stx in attacker.mempool.reap(100, 1 << 20) if stx.tx.sender == address]
        body = sent[-1].tx.body
        assert isinstance(body, ModelDelta)
        payload = attacker.get_blob(body.payload_hash)
        assert payload is not None
        np.testing.assert_array_equal(decode_delta(payload).values, alie)
        nursery.cancel_scope.cancel()
