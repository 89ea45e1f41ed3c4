"""Simulate mode on the shipped scenarios: every one passes its checks, and each shows the
behaviour it exists for (slashing, catching up after churn, the partition's finality gap,
election of a joiner, poisoners filtered out)."""

from __future__ import annotations

import pytest

from node.scenario.manifest import Action
from tests.node.scenario.simulate_support import (
    SHIPPED,
    describe_failures,
    figure,
    node_of,
    short_report,
)


@pytest.mark.parametrize("name", SHIPPED)
def test_simulate_shipped_scenario_passes_short(name: str) -> None:
    report = short_report(name, 1)
    assert report.mode == "simulate"
    assert report.short
    assert report.passed, describe_failures(report)
    assert report.versions[0].version == 0
    assert figure(report, "safety_violations") == 0
    assert figure(report, "rejected_honest_inputs") == 0


def test_simulate_report_records_every_node_and_progress() -> None:
    report = short_report("baseline-4", 1)
    assert [n.name for n in report.nodes] == ["v0", "v1", "v2", "v3"]
    top = max(n.height for n in report.nodes)
    assert all(len(n.block_hashes) == n.height for n in report.nodes)
    assert len(report.finality) >= top - 1
    assert all(p.latency_ms >= 0 for p in report.finality)
    assert {s.node for s in report.heights} == {"v0", "v1", "v2", "v3"}
    heights = [v.height for v in report.versions]
    assert heights == sorted(heights)
    assert all(n.accepted_deltas > 0 and n.delta_rewards > 0 for n in report.nodes)


def test_simulate_double_signer_is_slashed_and_equivocator_is_not() -> None:
    report = short_report("byzantine-7", 1)
    double, equivocator = node_of(report, "double"), node_of(report, "equivocator")
    assert double.slashed
    assert double.bonded_end < double.bonded_start
    assert not double.validator_at_end
    assert not equivocator.slashed
    assert figure(report, "evidence") > 0


def test_simulate_churn_nodes_restart_and_catch_up() -> None:
    report = short_report("churn-5", 1)
    assert report.passed, describe_failures(report)
    crashed = {"v1", "v3", "v4"}  # kill or restart within the short duration
    for name in crashed:
        node = node_of(report, name)
        assert node.perturbed
        assert node.starts >= 2
    assert node_of(report, "v2").starts == 1  # only paused
    top = max(n.height for n in report.nodes)
    assert all(top - n.height <= 3 for n in report.nodes)
    actions = {m.action for m in report.marks}
    assert {a.value for a in (Action.KILL, Action.PAUSE, Action.RESTART)} <= actions


def test_simulate_partition_stops_finality_until_the_heal() -> None:
    report = short_report("partition-heal-7", 1)
    assert report.passed, describe_failures(report)
    during = [p for p in report.finality if 21.0 <= p.t_s < 40.0]
    after = [p for p in report.finality if p.t_s >= 40.0]
    assert during == []  # 4 | 3: neither side holds more than 2/3
    assert after
    assert report.duration_s >= 45.0  # the run covers the recovery


def test_simulate_late_joiner_syncs_and_is_elected() -> None:
    report = short_report("join-late", 1)
    joiner = node_of(report, "joiner")
    assert joiner.validator_at_end
    assert joiner.bonded_end == 3_000_000
    assert min(s.t_s for s in report.heights if s.node == "joiner") >= 15.0


def test_simulate_multi_krum_never_selects_flipped_deltas() -> None:
    report = short_report("poisoning-10", 1)
    assert report.passed, describe_failures(report)
    assert node_of(report, "neg").accepted_deltas == 0  # sign flipping
    assert node_of(report, "flip").accepted_deltas == 0  # label flipping
    assert sum(n.accepted_deltas for n in report.nodes if n.honest) > 0


@pytest.mark.parametrize("name", ["churn-5", "partition-heal-7", "byzantine-7"])
def test_simulate_workload_reconciles_through_perturbations(name: str) -> None:
    report = short_report(name, 1)
    workload = report.workload
    assert workload is not None, "the manifest enables [workload]"
    assert workload["submitted"] == workload["final"] and workload["final"] > 0
    assert (workload["lost"], workload["duplicated"], workload["problems"]) == (0, 0, [])
    assert any(c.name == "workload_consistent" and c.passed for c in report.checks)


def test_simulate_workload_is_off_without_a_workload_table() -> None:
    report = short_report("baseline-4", 1)
    assert report.workload is None
    assert "workload_consistent" not in {c.name for c in report.checks}
