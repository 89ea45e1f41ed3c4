"""Real processes, one testnet training two tasks with different apps at once: the genesis task
runs digits-mlp (each node on its digits shard), a second task opened on the running testnet
with ``task create --app tabular-mlp`` trains on each node's CSV folder from ``data split``,
every node joined to both with ``task join`` (no restart). Both tasks' versions advance at the
same time on one worker per node, and every node holds the same model hash per task and
version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from node.ops.launcher import Cluster, NodeProcess
from tests.node.processes.test_app_processes import deltachain, write_source_csv
from tests.node.processes.test_cluster_processes import free_port_base, wait_for

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]
NODES = 3
VERSIONS = 3
"""Versions each task reaches on every node before the hashes are compared."""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    deltachain(
        "testnet", "create", "--out", str(tmp_path / "net"), "--validators", str(NODES),
        "--app", "digits-mlp", "--min-deltas", "2", "--seed", "11",
        "--p2p-base-port", str(free_port_base(NODES)),
        "--api-base-port", str(free_port_base(NODES)),
    )  # fmt: skip
    manifest = json.loads((tmp_path / "net" / "testnet.json").read_text())
    running = Cluster.from_manifest(manifest)
    running.start_all()
    try:
        running.wait_until_serving(120)
        yield running
    finally:
        running.stop_all()


def task_version(node: NodeProcess, task_id: int) -> int:
    return int((node.get(f"/tasks/{task_id}") or {}).get("version", -1))


def model_hash_at(node: NodeProcess, task_id: int, version: int) -> str | None:
    models = (node.get(f"/tasks/{task_id}/models") or {}).get("models", [])
    return next((m["model_hash"] for m in models if m["version"] == version), None)


def held_everywhere(cluster: Cluster, task_id: int, version: int) -> bool:
    return all(model_hash_at(n, task_id, version) for n in cluster.nodes)


def test_one_testnet_trains_two_apps_concurrently(cluster: Cluster, tmp_path: Path) -> None:
    write_source_csv(tmp_path / "all.csv")
    split = tmp_path / "split"
    deltachain("data", "split", str(tmp_path / "all.csv"), "--out", str(split),
               "--nodes", str(NODES), "--label", "churned")  # fmt: skip
    first = cluster.nodes[0]
    deltachain(
        "task", "create", "--app", "tabular-mlp", "--min-deltas", "2",
        "--config", "label=churned", "--config", "num_features=5", "--config", "num_classes=3",
        "--home", str(first.home), "--wait", "--wait-timeout", "60",
    )  # fmt: skip
    wait_for(lambda: all(task_version(n, 2) == 0 for n in cluster.nodes), 60, "task 2 everywhere")
    for index, node in enumerate(cluster.nodes):
        deltachain("task", "join", "2", "--home", str(node.home),
                   "--data", str(split / f"node{index}"), "--yes")  # fmt: skip
    joined_at = max(task_version(n, 1) for n in cluster.nodes)
    wanted = {1: joined_at + VERSIONS, 2: VERSIONS}  # the digits task goes on meanwhile
    wait_for(
        lambda: all(task_version(n, t) >= v for n in cluster.nodes for t, v in wanted.items()),
        300,
        f"task 1 at version {wanted[1]} and task 2 at {VERSIONS} on every node",
    )
    for task_id in (1, 2):
        version = min(task_version(n, task_id) for n in cluster.nodes)
        wait_for(
            partial(held_everywhere, cluster, task_id, version),
            60,
            f"task {task_id} version {version} on every node",
        )
        hashes = {model_hash_at(n, task_id, version) for n in cluster.nodes}
        assert len(hashes) == 1, (task_id, version, hashes)
    digits = model_hash_at(first, 1, wanted[1])
    tabular = model_hash_at(first, 2, VERSIONS)
    assert digits and tabular and digits != tabular
    # each node trained both apps: its own validation measurement of each task's versions
    for node in cluster.nodes:
        for task_id in (1, 2):
            models = (node.get(f"/tasks/{task_id}/models") or {}).get("models", [])
            assert any(m["accuracy"] is not None for m in models), (node.name, task_id)
