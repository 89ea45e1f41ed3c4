"""Real processes: a node is killed (SIGKILL, with its worker) while a version's deltas are
half in — some final, the rest still to come — and restarted. It loses nothing: it derives
the same versions, bit for bit, as the nodes that never stopped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from node.ops.cluster_report import get_models
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
from tests.node.learning.test_slow_trainer_processes import slow_down

pytestmark = pytest.mark.slow

OPTIONS = TestnetOptions(  # every node's delta in each version, one of them 5x slower
    validators=4,
    local_epochs=2,
    p2p_base_port=27_750,
    api_base_port=9_350,
    task=TaskOptions(min_deltas=4, max_staleness=4),
)


def wait_for_partial_buffer(node: NodeProcess, deadline: float) -> int:
    """The node's height once a version's buffer holds some deltas but not all."""
    while time.monotonic() < deadline:
        task = node.get("/tasks/1") or {}
        status = node.get("/status") or {}
        if 0 < task.get("pending", 0) < 4 and task.get("version", 0) >= 2:
            return int(status.get("height", 0))
        time.sleep(0.05)
    raise AssertionError("no partially filled buffer seen")


def model_hashes(node: NodeProcess, upto: int) -> list[str]:
    return [m["model_hash"] for m in get_models(node) if m["version"] <= upto]


def test_a_node_killed_mid_buffer_derives_the_same_versions(tmp_path: Path) -> None:
    cluster = Cluster.from_manifest(create_testnet(tmp_path / "net", OPTIONS))
    slow_down(cluster.nodes[3].home, 10)
    victim = cluster.nodes[1]
    try:
        cluster.start_all()
        cluster.wait_until_serving(120.0)
        killed_at = wait_for_partial_buffer(victim, time.monotonic() + 180)
        cluster.kill(victim)
        time.sleep(2.0)
        cluster.start(victim)
        deadline = time.monotonic() + 180
        target = None
        while time.monotonic() < deadline:
            versions = [len(get_models(n)) for n in cluster.nodes]
            target = target or max(versions) + 3
            if min(versions) >= target:
                break
            time.sleep(0.5)
        assert target is not None and min(len(get_models(n)) for n in cluster.nodes) >= target
        reference = model_hashes(cluster.nodes[0], target)
        for node in cluster.nodes[1:]:
            assert model_hashes(node, target) == reference, node.name
        restarted = victim.get("/status") or {}
        assert restarted["height"] > killed_at
    finally:
        cluster.close()
