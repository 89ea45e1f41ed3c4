"""Real processes: one of four trainers is five times slower than the rest (10 local epochs
against 2). Versions keep coming at the fast nodes' pace (min_deltas = 3), and the slow node's
deltas, trained on older versions, are counted with their staleness weight, not dropped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from consensus.params import ChainParams
from node.ops.cluster_report import get_models
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet

pytestmark = pytest.mark.slow

OPTIONS = TestnetOptions(
    validators=4,
    local_epochs=2,
    p2p_base_port=27_700,
    api_base_port=9_300,
    params=ChainParams(),
    task=TaskOptions(rule_params={"staleness_exponent": 0.5}, max_staleness=4),
)
VERSIONS = 25


def slow_down(home: Path, epochs: int) -> None:
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "local_epochs = 2" in text
    config.write_text(text.replace("local_epochs = 2", f"local_epochs = {epochs}"), "utf-8")


def stale_accepted(node: NodeProcess, sender: str, versions: int) -> tuple[int, int]:
    """(accepted deltas of ``sender``, how many of them were trained on an older version)."""
    accepted = stale = 0
    for version in range(1, versions + 1):
        reply = node.get(f"/tasks/1/models/{version}/contributions") or {}
        for row in reply.get("contributions", []):
            if row["sender"] != sender or not row["accepted"]:
                continue
            accepted += 1
            tx = node.get(f"/txs/{row['tx_hash']}") or {}
            stale += tx["tx"]["body"]["base_version"] < version - 1
    return accepted, stale


def test_a_slow_trainer_slows_nobody_and_its_stale_deltas_count(tmp_path: Path) -> None:
    manifest = create_testnet(tmp_path / "net", OPTIONS)
    cluster = Cluster.from_manifest(manifest)
    slow = cluster.nodes[3]
    slow_down(slow.home, 10)
    try:
        cluster.start_all()
        cluster.wait_until_serving(120.0)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(get_models(cluster.nodes[0])) < VERSIONS:
            time.sleep(0.5)
        models = get_models(cluster.nodes[0])
        assert len(models) >= VERSIONS, f"only {len(models)} versions in 240 s"
        sender = (slow.get("/status") or {})["address"]
        accepted, stale = stale_accepted(cluster.nodes[0], sender, VERSIONS)
        fast_sender = (cluster.nodes[0].get("/status") or {})["address"]
        fast_accepted, _ = stale_accepted(cluster.nodes[0], fast_sender, VERSIONS)
    finally:
        cluster.close()
    assert fast_accepted >= VERSIONS - 3  # the fast nodes are in (nearly) every version
    assert accepted >= 3 and stale >= 2, (accepted, stale)  # late, weighed, counted
    hashes = {m["model_hash"] for m in models[:VERSIONS]}
    assert len(hashes) == VERSIONS  # every version moved the model
