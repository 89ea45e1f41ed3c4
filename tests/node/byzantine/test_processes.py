"""Real ``deltachain start`` processes on loopback, one of four with a Byzantine role from its
``config.toml``: the honest three keep one chain going and their defences show (slow)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from node.byzantine.settings import ByzantineConfig
from node.ops.config import load_config, render_config
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
from tests.node.processes.test_cluster_processes import free_port_base

pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def height(node: NodeProcess) -> int:
    status = node.get("/status")
    return int(status["height"]) if status else -1


def metric(node: NodeProcess, name: str) -> float:
    text = node.client().get_text("/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def start_cluster(tmp_path: Path, role: str) -> Cluster:
    options = TestnetOptions(
        validators=4,
        chain_id=f"bz-{role}",
        p2p_base_port=free_port_base(5),
        api_base_port=free_port_base(5),
        task=TaskOptions(model_id="logreg-digits", min_deltas=3),
        seed=7,
    )
    manifest = create_testnet(tmp_path / "net", options)
    cluster = Cluster.from_manifest(manifest)
    home = cluster.nodes[3].home
    config = dataclasses.replace(load_config(home), byzantine=ByzantineConfig(role, 50.0))
    (home / "config.toml").write_text(render_config(config), encoding="utf-8")
    cluster.start_all()
    return cluster


@pytest.fixture
def running(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    cluster = start_cluster(tmp_path, request.param)
    try:
        cluster.wait_until_serving(90)
        yield cluster
    finally:
        cluster.stop_all()
        for node in cluster.nodes:
            log = node.home / "node.log"
            print(
                f"---- {node.name}", *log.read_text(errors="replace").splitlines()[-15:], sep="\n"
            )


def same_blocks(nodes: list[NodeProcess], upto: int) -> bool:
    for at in range(1, upto + 1):
        hashes = {str((node.get(f"/blocks/{at}") or {}).get("hash")) for node in nodes}
        if len(hashes) != 1:
            return False
    return True


@pytest.mark.parametrize(
    ("running", "deviation"),
    [
        ("double_signer", "deltachain_byzantine_conflicting_precommit_total"),
        ("equivocating_proposer", "deltachain_byzantine_second_proposal_total"),
        ("withholder", "deltachain_byzantine_blob_withheld_total"),
        ("spammer", "deltachain_byzantine_bad_signature_total"),
    ],
    indirect=["running"],
)
def test_processes_byzantine_role_deviates_and_honest_nodes_go_on(
    running: Cluster, deviation: str
) -> None:
    honest, liar = running.nodes[:3], running.nodes[3]
    wait_for(lambda: metric(liar, deviation) > 0, 90, f"{deviation} on the liar")
    start = max(height(n) for n in honest)
    wait_for(lambda: min(height(n) for n in honest) >= start + 8, 120, "8 more honest blocks")
    assert same_blocks(honest, start + 8)
    address = (liar.get("/status") or {})["address"]
    if deviation.endswith("conflicting_precommit_total"):
        account = honest[0].get(f"/accounts/{address}") or {}
        wait_for(
            lambda: (honest[0].get(f"/accounts/{address}") or {}).get("bonded") == 950_000,
            60,
            "the double signer's slash",
        )
        validators = honest[0].get("/validators") or {}
        assert address not in str(validators) and account
    if deviation.endswith("blob_withheld_total"):
        task = honest[0].get("/tasks/1") or {}
        for version in range(1, int(task["version"]) + 1):
            rows = honest[0].get(f"/tasks/1/models/{version}/contributions") or {}
            assert address not in {r["sender"] for r in rows["contributions"]}
