"""The trainer and joined app tasks (real worker process): a task joined while the node runs
starts training without a restart; a task with bad data fails with one logged reason and
never blocks another task."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import trio

from consensus.ledger.devnet import make_keys
from node.learning.app_tasks import AppTasks
from node.learning.joins import JoinedTask, render_joined_tasks
from node.learning.settings import TrainingConfig
from node.learning.trainer import Trainer
from node.network.memory import MemoryHub
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.app_chain import (
    make_app_genesis,
    make_app_task,
    make_marker_bundle,
    write_csv,
)

pytestmark = pytest.mark.multiprocess
KEYS = list(make_keys(1, namespace=93))


async def test_trainer_joins_app_tasks_while_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "imported.txt"
    good = make_app_task(make_marker_bundle(marker, "good-app"), "good-app")
    broken = make_app_task(make_marker_bundle(marker, "other-app"), "other-app")
    genesis, _, snapshots = make_app_genesis(KEYS, [good, broken], "joinnet", min_deltas=1)
    home = tmp_path / "node"
    blobs = BlobStore(home / "blobs")
    for blob in (*snapshots, good.bundle, broken.bundle):
        blobs.put(blob)
    node = make_node(MemoryHub(), KEYS[0], home, KEYS, genesis)
    config = tmp_path / "config.toml"
    config.write_text("[node]\n")
    apps = AppTasks(node, (), home=tmp_path, config_path=config, identity=KEYS[0].address)
    trainer = Trainer(node, KEYS[0], TrainingConfig(), apps=apps)
    joins = [
        JoinedTask(1, good.app_hash, str(write_csv(tmp_path / "data", 120, seed=1))),
        JoinedTask(2, broken.app_hash, str(tmp_path / "missing")),
    ]
    caplog.set_level(logging.WARNING, logger="node.learning.app_tasks")
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await nursery.start(trainer.run)
        await trio.sleep(1.0)
        assert node.get_chain_state().tasks[1].version == 0  # nothing joined yet
        config.write_text("[node]\n\n" + render_joined_tasks(joins))
        with trio.fail_after(180):
            while node.get_chain_state().tasks[1].version < 3:
                await trio.sleep(0.1)
        accuracies = [m.accuracy for m in node.get_models(1) if m.accuracy is not None]
        measured = {m.version: m.accuracy for m in node.get_models(1)}
        evaluations = node.get_chain_state().tasks[1].evaluations
        assert node.get_chain_state().tasks[2].version == 0
        nursery.cancel_scope.cancel()
    assert any("task=2 cannot train" in r.message and "does not exist" in r.message
               for r in caplog.records)  # fmt: skip
    assert accuracies and max(accuracies) > 0.8
    # federated evaluation: each delta carried the node's result for its base version
    assert [e.version for e in evaluations][:3] == [0, 1, 2]
    for evaluation in evaluations[:3]:
        assert evaluation.reports >= 1 and evaluation.samples == 24 * evaluation.reports
        if measured.get(evaluation.version) is not None:  # (version 0 is not in the models)
            assert evaluation.accuracy == pytest.approx(measured[evaluation.version])
    assert marker.exists()  # the approved app was imported, by the worker process only
