"""Long simulate-mode sweeps, kept out of the default suite (``pytest -m slow``)."""

from __future__ import annotations

import pytest

from node.scenario.parse import parse_manifest
from node.scenario.simulate import simulate_manifest, simulate_seeds
from tests.node.scenario.simulate_support import (
    SHIPPED,
    describe_failures,
    figure,
    load_shipped,
    node_of,
)


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_simulate_shipped_scenario_passes_full_for_seeds(name: str) -> None:
    for report in simulate_seeds(load_shipped(name), range(1, 4)):
        assert report.passed, f"seed {report.seed}: {describe_failures(report)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_simulate_shipped_scenario_passes_short_for_more_seeds(name: str) -> None:
    for report in simulate_seeds(load_shipped(name).shortened(), range(4, 9), short=True):
        assert report.passed, f"seed {report.seed}: {describe_failures(report)}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_simulate_sim_scale_100(seed: int) -> None:
    report = simulate_manifest(load_shipped("sim-scale-100").shortened(), seed, short=True)
    assert report.passed, describe_failures(report)
    assert len(report.nodes) == 100
    assert node_of(report, "hold").accepted_deltas == 0
    assert figure(report, "spam_admitted") == 0
    assert all(node_of(report, f"double{i}").slashed for i in range(2))


@pytest.mark.slow
def test_simulate_21_validators_reach_30_versions() -> None:
    raw = {
        "name": "testnet-21",
        "timing": {"duration_s": 30, "stop_when_done": False},
        "checks": {"target_accuracy": 0.9, "min_height": 20},
        "node": [{"name": "v", "count": 21}],
    }
    report = simulate_manifest(parse_manifest(raw), 1)
    assert report.passed, describe_failures(report)
    assert figure(report, "model_versions") >= 30
