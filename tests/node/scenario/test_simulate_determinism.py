"""Simulate mode is a pure function of manifest and seed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.scenario.report import RunReport
from node.scenario.simulate import simulate_manifest, simulate_seeds
from tests.node.scenario.simulate_support import load_shipped, short_report


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


def _digest(report: RunReport) -> str:
    return hashlib.sha256(json.dumps(report.to_json(), sort_keys=True).encode()).hexdigest()


CHILD = """
import hashlib, json
from tests.node.scenario.simulate_support import short_report
report = short_report("join-late", 1)
print(hashlib.sha256(json.dumps(report.to_json(), sort_keys=True).encode()).hexdigest())
"""


@pytest.mark.multiprocess
def test_simulate_report_does_not_depend_on_the_process_hash_seed() -> None:
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert child.stdout.strip() == _digest(short_report("join-late", 1))
