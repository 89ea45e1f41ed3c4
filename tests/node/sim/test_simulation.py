"""Many seeds of the real BFT engine in the simulator: safety always, liveness after healing.

The matrix covers 4, 7 and 21 validators with up to f Byzantine validators (every policy, in
turn per seed), 10% message drops and a partition that heals: 0 safety violations, and every
honest node reaches the target height within the liveness budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from node.sim import (
    ALL_POLICIES,
    NetworkConfig,
    Policy,
    SimConfig,
    SimError,
    Simulation,
    ViolationKind,
    parse_partition,
    run_seeds,
)
from node.sim.events import SyncRequest

ALL = ALL_POLICIES


@dataclass(frozen=True)
class Scenario:
    validators: int
    byzantine: int
    policies: tuple[Policy, ...]
    drop_rate: float
    partition: str | None
    heights: int
    seeds: range

    def config(self) -> SimConfig:
        partitions = (parse_partition(self.partition),) if self.partition else ()
        return SimConfig(
            validators=self.validators,
            heights=self.heights,
            byzantine=self.byzantine,
            policies=self.policies,
            network=NetworkConfig(drop_rate=self.drop_rate, partitions=partitions),
        )


SCENARIOS = [
    Scenario(4, 0, ALL, 0.1, "500:3000:0-1|2-3", 5, range(20)),
    Scenario(4, 1, ALL, 0.1, "500:3000:0-1|2-3", 5, range(100, 180)),
    Scenario(7, 2, ALL, 0.1, "500:3000:0-2|3-6", 5, range(200, 260)),
    Scenario(7, 2, ALL, 0.0, None, 8, range(300, 330)),
    Scenario(21, 6, ALL, 0.1, "500:3000:0-9|10-20", 3, range(400, 412)),
]
DOUBLE_VOTERS = [
    Scenario(4, 1, (Policy.DOUBLE_VOTE,), 0.1, None, 5, range(500, 510)),
    Scenario(7, 2, (Policy.DOUBLE_VOTE,), 0.1, "500:3000:0-2|3-6", 5, range(600, 610)),
]


def _ids(scenarios: list[Scenario]) -> list[str]:
    return [
        f"n{s.validators}-b{s.byzantine}-drop{s.drop_rate}-{'part' if s.partition else 'nopart'}"
        f"-{'+'.join(p.value for p in s.policies) if s.byzantine else 'honest'}"
        for s in scenarios
    ]


def test_simulation_matrix_covers_enough_seeds():
    assert sum(len(s.seeds) for s in SCENARIOS) >= 200
    assert {s.validators for s in SCENARIOS} == {4, 7, 21}


@pytest.mark.parametrize("scenario", SCENARIOS + DOUBLE_VOTERS, ids=_ids(SCENARIOS + DOUBLE_VOTERS))
def test_simulation_is_safe_and_live_after_healing(scenario: Scenario):
    summary = run_seeds(scenario.config(), scenario.seeds)
    report = summary.to_json()
    assert report["safety_violations"] == 0, report["failures"]
    assert report["invariant_violations"] == 0, report["failures"]
    assert report["liveness_failures"] == 0, report["failures"]
    assert report["heights_final_min"] == scenario.heights
    assert report["rejected_honest_inputs"] == 0


@pytest.mark.parametrize("scenario", DOUBLE_VOTERS, ids=_ids(DOUBLE_VOTERS))
def test_simulation_double_voters_are_caught_by_evidence(scenario: Scenario):
    summary = run_seeds(scenario.config(), scenario.seeds)
    assert summary.safety_violations == 0
    assert all(result.evidence >= scenario.heights // 2 for result in summary.results)


def test_simulation_same_seed_gives_same_trace_and_other_seeds_differ():
    config = SCENARIOS[2].config()
    first, again = Simulation(config, 7).run(), Simulation(config, 7).run()
    assert first.trace_hash == again.trace_hash
    assert first.events == again.events and first.virtual_ms == again.virtual_ms
    others = {Simulation(config, seed).run().trace_hash for seed in (8, 9)}
    assert first.trace_hash not in others and len(others) == 2


def test_simulation_trace_does_not_depend_on_the_process_hash_seed():
    code = (
        "from node.sim import SimConfig, NetworkConfig, Simulation;"
        "c = SimConfig(validators=4, heights=3, byzantine=1,"
        " network=NetworkConfig(drop_rate=0.1));"
        "print(Simulation(c, 5).run().trace_hash)"
    )
    hashes = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        hashes.add(out.stdout.strip())
    assert len(hashes) == 1


def test_simulation_invalid_validator_inputs_are_rejected_and_counted():
    config = SimConfig(validators=4, heights=3, byzantine=1, policies=(Policy.INVALID,))
    result = Simulation(config, 1).run()
    assert result.is_ok
    assert result.rejected_byzantine > 0
    assert result.rejected_honest == 0


def test_simulation_reports_liveness_failure_when_no_quorum_can_form():
    partition = parse_partition("0:20000:0-1|2-3")
    config = SimConfig(
        validators=4,
        heights=2,
        network=NetworkConfig(partitions=(partition,)),
        liveness_ms_per_height=1,
    )
    result = Simulation(config, 0).run()
    assert result.liveness_failure
    assert result.heights_final_min == 0
    assert result.safety_violations == ()
    assert not result.is_ok


def test_simulation_blocks_carry_transfers_from_the_mempool():
    sim = Simulation(SimConfig(validators=4, heights=3, txs_per_proposal=2), 0)
    assert sim.run().is_ok
    with pytest.raises(SimError, match="runs once"):
        sim.run()
    blocks = sim.nodes[0].blocks
    assert [fb.block.height for fb in blocks][:3] == [1, 2, 3]
    assert all(len(fb.block.txs) == 2 for fb in blocks)


def test_simulation_reports_an_engine_failure_as_a_violation_not_a_crash():
    sim = Simulation(SimConfig(validators=4, heights=1), 0)
    node = sim.nodes[0]
    before = node.state
    sim.feed(node, SyncRequest(0), True)  # type: ignore[arg-type]  # not an engine input
    [violation] = sim.checker.violations
    assert violation.kind is ViolationKind.ENGINE_ERROR
    assert "AttributeError" in violation.detail
    assert node.state is before


def test_simulation_fork_coalition_with_a_third_of_the_power_is_caught():
    config = SimConfig(
        validators=4, heights=2, byzantine=2, policies=(Policy.FORK,), allow_unsafe=True
    )
    for seed in range(3):
        result = Simulation(config, seed).run()
        assert result.safety_violations, seed
        assert result.safety_violations[0].kind is ViolationKind.CONFLICTING_BLOCKS


def test_simulation_fork_coalition_below_a_third_of_the_power_cannot_fork():
    config = SimConfig(validators=7, heights=4, byzantine=2, policies=(Policy.FORK,))
    report = run_seeds(config, range(10)).to_json()
    assert report["safety_violations"] == 0, report["failures"]
    assert report["liveness_failures"] == 0, report["failures"]
