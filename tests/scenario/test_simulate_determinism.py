"""Simulate mode is a pure function of manifest and seed."""

from __future__ import annotations

from node.scenario.simulate import simulate_manifest, simulate_seeds
from tests.scenario.simulate_support import load_shipped, short_report


def test_simulate_same_seed_gives_an_identical_report() -> None:
    manifest = load_shipped("byzantine-7").shortened()
    first = simulate_manifest(manifest, 1, short=True)
    second = short_report("byzantine-7", 1)
    assert first.to_json() == second.to_json()


def test_simulate_seeds_differ_in_trace_but_all_pass() -> None:
    reports = simulate_seeds(load_shipped("baseline-4").shortened(), range(2, 4), short=True)
    assert [r.seed for r in reports] == [2, 3]
    assert all(r.passed for r in reports)
    hashes = {r.figures["trace_hash"] for r in reports}
    hashes.add(short_report("baseline-4", 1).figures["trace_hash"])
    assert len(hashes) == 3
