"""The end-of-run checks: each one passes on a clean run and fails on the fault it targets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from node.scenario.parse import parse_manifest
from node.scenario.report import NodeObservation, RunReport, VersionPoint
from node.scenario.verdict import (
    check_caught_up,
    check_no_conflicting_blocks,
    check_same_model,
    judge,
)

RAW: dict[str, Any] = {
    "name": "t",
    "checks": {"target_accuracy": 0.9, "min_height": 3, "catch_up_blocks": 2},
    "node": [
        {"name": "v", "count": 3},
        {"name": "bad", "byzantine": "double_signer", "stake": 100},
        {"name": "new", "role": "full", "stake": 0, "join_as_candidate": True, "join_bond": 5},
    ],
}
MANIFEST = parse_manifest(RAW)
BLOCKS = {1: "aa", 2: "bb", 3: "cc", 4: "dd"}
MODELS = {1: "m1", 2: "m2"}


def observe(name: str, **changes: Any) -> NodeObservation:
    honest = name.startswith("v") or name == "new"
    node = NodeObservation(
        name, honest, running=True, height=4, block_hashes=dict(BLOCKS),
        model_hashes=dict(MODELS), bonded_start=100, bonded_end=100,
        validator_at_end=True,
    )  # fmt: skip
    return replace(node, **changes)


def clean() -> list[NodeObservation]:
    nodes = [observe(f"v{i}") for i in range(3)] + [observe("new")]
    return [*nodes, observe("bad", slashed=True, bonded_end=95, validator_at_end=False)]


VERSIONS = [VersionPoint(1, 3, 1.0, 0.8), VersionPoint(2, 4, 2.0, 0.92)]


def test_verdict_clean_run_passes_every_check() -> None:
    results = judge(MANIFEST, clean(), VERSIONS)
    assert [r.name for r in results] == [
        "no_conflicting_blocks", "honest_nodes_running", "min_height", "caught_up",
        "same_model_hash", "accuracy_target", "double_signers_slashed", "joiners_elected",
    ]  # fmt: skip
    assert all(r.passed for r in results), results
    report = RunReport("t", "processes", 1, False, 10.0, nodes=clean(), checks=results)
    assert report.passed
    assert report.to_json()["nodes"][0]["block_hashes"]["1"] == "aa"


def test_verdict_conflicting_block_at_one_height_fails() -> None:
    nodes = clean()
    nodes[1] = observe("v1", block_hashes={**BLOCKS, 3: "evil"})
    result = check_no_conflicting_blocks(nodes)
    assert not result.passed and "heights 3" in result.detail


def test_verdict_a_node_that_compared_nothing_does_not_pass_vacuously() -> None:
    assert not check_no_conflicting_blocks([observe("v0", block_hashes={})]).passed


def test_verdict_diverging_model_fails_at_the_latest_common_version() -> None:
    nodes = clean()
    nodes[2] = observe("v2", model_hashes={1: "m1", 2: "other"})
    result = check_same_model(nodes, needs_model=True)
    assert not result.passed and "v2" in result.detail
    behind = [observe("v0", model_hashes={1: "m1"}), observe("v1")]
    assert check_same_model(behind, needs_model=True).passed


def test_verdict_lagging_restarted_node_is_not_caught_up() -> None:
    nodes = [observe("v0", height=40), observe("v1", height=37, perturbed=True)]
    assert not check_caught_up(nodes, slack=2).passed
    assert check_caught_up(nodes, slack=3).passed


def test_verdict_each_fault_fails_its_own_check() -> None:
    cases: dict[str, tuple[int, dict[str, Any]]] = {
        "honest_nodes_running": (0, {"running": False}),
        "min_height": (1, {"height": 2, "block_hashes": {1: "aa", 2: "bb"}}),
        "joiners_elected": (3, {"validator_at_end": False}),
        "double_signers_slashed": (4, {"slashed": False}),
    }
    for check, (index, changes) in cases.items():
        nodes = clean()
        nodes[index] = replace(nodes[index], **changes)
        failed = [r.name for r in judge(MANIFEST, nodes, VERSIONS) if not r.passed]
        assert check in failed, (check, failed)
    low = [VersionPoint(1, 3, 1.0, 0.5), VersionPoint(2, 4, 2.0, None)]
    failed = [r.name for r in judge(MANIFEST, clean(), low) if not r.passed]
    assert failed == ["accuracy_target"]
