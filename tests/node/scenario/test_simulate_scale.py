"""Simulate mode beyond what real processes allow: 52 nodes with every Byzantine role and a
partition, and bad input that the mode refuses with a clear error."""

from __future__ import annotations

from typing import Any

import pytest

from node.scenario.parse import parse_manifest
from node.scenario.simulate import SimulateError, simulate_manifest
from tests.node.scenario.simulate_support import describe_failures, figure, node_of

SCALE_52: dict[str, Any] = {
    "name": "scale-52",
    "seed": 52,
    "timing": {"duration_s": 14},
    "task": {"rule": "median"},
    "checks": {"target_accuracy": 0.75, "min_height": 8},
    "node": [
        {"name": "t", "count": 10},
        {"name": "v", "count": 36, "train": False},
        {"name": "double", "byzantine": "double_signer", "train": False},
        {"name": "equiv", "byzantine": "equivocating_proposer", "train": False},
        {"name": "hold", "byzantine": "withholder"},
        {"name": "spam", "byzantine": "spammer", "train": False},
        {"name": "late", "role": "full", "stake": 0, "train": False, "start_at_s": 3},
        {"name": "full", "role": "full", "stake": 0, "train": False},
    ],
    "perturbation": [{"at_s": 2, "node": "v20", "action": "kill", "duration_s": 3}],
    "partition": [{"at_s": 3, "heal_at_s": 6, "groups": [[f"v{i}" for i in range(12)]]}],
}


def test_simulate_52_nodes_with_every_byzantine_role_and_a_partition() -> None:
    manifest = parse_manifest(SCALE_52)
    assert len(manifest.nodes) == 52
    report = simulate_manifest(manifest, 52)
    assert report.passed, describe_failures(report)
    assert node_of(report, "double").slashed
    assert node_of(report, "v20").starts == 2
    withholder = node_of(report, "hold")
    assert withholder.accepted_deltas == 0  # its payloads are never available
    assert figure(report, "deltas_unavailable") > 0
    assert figure(report, "spam_rejected") > 0
    assert figure(report, "spam_admitted") == 0
    assert node_of(report, "late").height >= figure(report, "final_height_max") - 3
    assert node_of(report, "full").height > 0 and not node_of(report, "full").validator_at_end


def test_simulate_refuses_a_data_split_it_cannot_make() -> None:
    raw = {
        "name": "too-many",
        "task": {"partition": "dirichlet", "alpha": 0.05},
        "node": [{"name": "v", "count": 150}],
    }
    with pytest.raises(SimulateError, match="cannot split the training data"):
        simulate_manifest(parse_manifest(raw), 1)
