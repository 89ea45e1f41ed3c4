"""partition-heal-7 with each node in its own network namespace: real packet drops, no fork,
finality resumes after the heal, the namespaces are gone afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.scenario.netns import NetnsUnavailableError, list_namespaces
from node.scenario.options import RunOptions
from node.scenario.parse import load_manifest
from node.scenario.procs import find_children
from node.scenario.runner import run_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"


@pytest.mark.slow
@pytest.mark.multiprocess
def test_run_partition_heal_7_short_in_namespaces(tmp_path: Path) -> None:
    manifest = load_manifest(SCENARIOS / "partition-heal-7.toml")
    limit = 2 * manifest.shortened().timing.duration_s
    options = RunOptions(short=True, netns=True, duration_s=limit, workdir=tmp_path / "run")
    if os.geteuid() != 0:  # without root the run refuses to start, with one clear error
        with pytest.raises(NetnsUnavailableError, match="root"):
            run_scenario(manifest, options)
        return
    before = list_namespaces()
    children = set(find_children(os.getpid()))
    report = run_scenario(manifest, options)
    failed = [c for c in report.checks if not c.passed]
    assert report.passed, f"failed checks: {failed}"
    assert report.mode == "netns"
    assert {(m.action, m.phase) for m in report.marks} >= {
        ("partition", "begin"),
        ("partition", "end"),
    }
    healed = [s for s in report.heights if s.t_s > 45]
    assert healed and max(s.height for s in healed) > max(
        s.height for s in report.heights if s.t_s < 40
    ), "no progress after the heal"
    assert list_namespaces() <= before
    assert set(find_children(os.getpid())) <= children
