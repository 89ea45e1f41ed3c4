"""The bare in-process loop of bench_cluster --app: it reads the task, bundle, initial weights
and each joined node's data path from a testnet's homes, and trains through the worker's own
job function until node 0's measurement reaches the target."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.snapshot import compute_model_hash
from node.errors import ConfigError
from node.ops.app_baseline import load_app_baseline, run_app_baseline
from node.ops.app_task import prepare_app_task
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
from node.ops.testnet_apps import PRIVATE_DATA
from tests.node.learning.app_chain import write_csv


def test_digits_app_baseline_trains_every_nodes_shard_to_the_target(tmp_path: Path) -> None:
    app = prepare_app_task("digits-mlp", {})
    options = TestnetOptions(validators=2, seed=4, task=TaskOptions(app=app))
    manifest = create_testnet(tmp_path / "net", options)
    baseline = load_app_baseline(manifest, tmp_path / "apps")
    homes = [Path(n["home"]) for n in manifest["nodes"]]  # type: ignore[attr-defined]
    assert [n.ref.data_path for n in baseline.nodes] == [str(h / PRIVATE_DATA) for h in homes]
    assert [n.address.hex() for n in baseline.nodes] == [
        n["address"]
        for n in manifest["nodes"]  # type: ignore[attr-defined]
    ]
    assert compute_model_hash(baseline.weights) == compute_model_hash(app.weights)
    assert all(
        n.ref.app_hash == app.app_hash and n.ref.bundle == app.bundle for n in baseline.nodes
    )
    result = run_app_baseline(baseline, 0.9, max_versions=40)
    assert result["versions"] is not None and 1 <= result["versions"] <= 40
    assert result["seconds"] > 0


def test_only_the_nodes_that_joined_train(tmp_path: Path) -> None:
    app = prepare_app_task("tabular-mlp", {"num_features": 3, "num_classes": 2})
    data = tuple(str(write_csv(tmp_path / f"data{i}", 60, seed=i)) for i in range(2))
    task = TaskOptions(min_deltas=2, app=app)  # the third node follows without training
    options = TestnetOptions(validators=3, seed=5, task=task, data=data)
    manifest = create_testnet(tmp_path / "net", options)
    baseline = load_app_baseline(manifest, tmp_path / "apps")
    assert [n.ref.data_path for n in baseline.nodes] == [str(Path(d).resolve()) for d in data]
    assert dict(baseline.nodes[0].ref.config) == {"num_features": 3, "num_classes": 2}
    assert run_app_baseline(baseline, 0.0, max_versions=3)["versions"] == 1


def test_a_catalog_testnet_has_no_app_baseline(tmp_path: Path) -> None:
    manifest = create_testnet(tmp_path / "net", TestnetOptions(validators=1, seed=6))
    with pytest.raises(ConfigError, match="runs no learning app"):
        load_app_baseline(manifest, tmp_path / "apps")
