"""Long simulator runs, kept out of the default suite (``pytest -m slow``)."""

from __future__ import annotations

import pytest

from node.sim import NetworkConfig, SimConfig, parse_partition, run_seeds

LONG_RUNS = [
    # validators, byzantine, heights, drop rate, partition, seeds
    (7, 2, 20, 0.1, "1000:6000:0-2|3-6", range(1000, 1100)),
    (21, 6, 10, 0.15, "2000:8000:0-6|7-13", range(2000, 2030)),
    (4, 1, 50, 0.2, "3000:9000:0|1-3", range(3000, 3050)),
]


@pytest.mark.slow
@pytest.mark.parametrize("run", LONG_RUNS, ids=[f"n{r[0]}-h{r[2]}" for r in LONG_RUNS])
def test_simulation_long_runs_stay_safe_and_live(run):
    validators, byzantine, heights, drop_rate, partition, seeds = run
    network = NetworkConfig(drop_rate=drop_rate, partitions=(parse_partition(partition),))
    config = SimConfig(validators=validators, heights=heights, byzantine=byzantine, network=network)
    report = run_seeds(config, seeds).to_json()
    assert report["safety_violations"] == 0, report["failures"]
    assert report["invariant_violations"] == 0, report["failures"]
    assert report["liveness_failures"] == 0, report["failures"]
