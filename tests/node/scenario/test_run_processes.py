"""Real runs of shipped scenarios (``--short``): every check passes, nothing is left running.

baseline-4, churn-5 and byzantine-7 are part of the default suite; the full-length runs of
every scenario are ``slow``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.scenario.options import RunOptions
from node.scenario.parse import load_manifest
from node.scenario.procs import find_children
from node.scenario.report import RunReport
from node.scenario.runner import run_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"


def print_logs(workdir: Path) -> None:
    """The tail of every node log (pytest shows it when the test fails)."""
    for log in sorted(workdir.glob("net/*/node.log")):
        lines = log.read_text(errors="replace").splitlines()
        tail = [line for line in lines if not line.startswith("Failed to open")][-30:]
        print(f"---- {log}", *tail, sep="\n")


def run_short(name: str, tmp_path: Path) -> tuple[RunReport, set[int]]:
    """The ``[short]`` run, with twice its time limit as slack for a loaded machine (the run
    still ends as soon as every goal is reached)."""
    manifest = load_manifest(SCENARIOS / f"{name}.toml")
    limit = 2 * manifest.shortened().timing.duration_s
    options = RunOptions(short=True, duration_s=limit, workdir=tmp_path / "run")
    before = set(find_children(os.getpid()))
    report = run_scenario(manifest, options)
    if not report.passed:
        print_logs(tmp_path / "run")
    return report, before


def assert_passed(report: RunReport, children_before: set[int]) -> None:
    failed = [c for c in report.checks if not c.passed]
    assert report.passed, f"failed checks: {failed}"
    assert report.figures["processes_left"] == 0
    assert_no_new_children(children_before)


def assert_no_new_children(before: set[int]) -> None:
    """No process the run started outlived it (children of earlier tests, such as
    multiprocessing's resource tracker, may live on and are not counted)."""
    left = set(find_children(os.getpid())) - before
    assert not left, f"processes outlived the run: {sorted(left)}"


def assert_workload_reconciled(report: RunReport) -> None:
    """The client workload ran through the perturbations and every acknowledged transfer is
    accounted for (the ``workload_consistent`` check is part of ``passed`` too)."""
    workload = report.workload
    assert workload is not None
    assert workload["accepted"] > 0
    assert workload["lost"] == 0 and workload["duplicated"] == 0
    assert workload["final"] >= workload["accepted"] - workload["dropped_with_reason"]
    assert any(c.name == "workload_consistent" and c.passed for c in report.checks)


@pytest.mark.multiprocess
def test_run_baseline_4_short_through_the_cli(tmp_path: Path) -> None:
    args = ["sim", "run", str(SCENARIOS / "baseline-4.toml"), "--short", "--no-progress"]
    args += ["--duration-s", "180"]  # slack for a loaded machine; it ends once done
    args += ["--report", str(tmp_path / "report"), "--keep", str(tmp_path / "run")]
    before = set(find_children(os.getpid()))
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        print(result.output)
        print_logs(tmp_path / "run")
    assert result.exit_code == 0
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["passed"] and data["mode"] == "processes" and data["short"]
    names = [c["name"] for c in data["checks"]]
    assert names[:2] == ["no_conflicting_blocks", "honest_nodes_running"]
    assert "accuracy_target" in names and "clean_shutdown" in names
    assert data["figures"]["final_height_min"] >= 5
    assert len(data["nodes"]) == 4 and all(len(n["block_hashes"]) >= 5 for n in data["nodes"])
    assert (tmp_path / "report" / "report.html").stat().st_size > 0
    assert_no_new_children(before)


@pytest.mark.multiprocess
def test_run_churn_5_short_restarted_nodes_catch_up(tmp_path: Path) -> None:
    report, before = run_short("churn-5", tmp_path)
    assert_passed(report, before)
    restarts = report.figures["restarts"]
    assert isinstance(restarts, int) and restarts >= 2
    marked = {(m.action, m.phase) for m in report.marks}
    assert {("kill", "begin"), ("kill", "end"), ("pause", "begin"), ("disconnect", "end")} <= marked
    starts = {n.name: n.starts for n in report.nodes}
    assert starts["v1"] >= 2 and starts["v4"] >= 2
    assert_workload_reconciled(report)


@pytest.mark.multiprocess
def test_run_byzantine_7_short_slashes_the_double_signer(tmp_path: Path) -> None:
    report, before = run_short("byzantine-7", tmp_path)
    assert_passed(report, before)
    by_name = {n.name: n for n in report.nodes}
    assert by_name["double"].slashed
    assert not any(n.slashed for n in report.nodes if n.honest)
    assert_workload_reconciled(report)


@pytest.mark.slow
@pytest.mark.multiprocess
@pytest.mark.parametrize("name", ["join-late", "partition-heal-7", "poisoning-10"])
def test_run_other_scenarios_short(name: str, tmp_path: Path) -> None:
    assert_passed(*run_short(name, tmp_path))


@pytest.mark.slow
@pytest.mark.multiprocess
@pytest.mark.parametrize(
    "name", sorted(p.stem for p in SCENARIOS.glob("*.toml") if not p.stem.startswith("sim-"))
)
def test_run_scenario_full_length(name: str, tmp_path: Path) -> None:
    manifest = load_manifest(SCENARIOS / f"{name}.toml")
    before = set(find_children(os.getpid()))
    report = run_scenario(manifest, RunOptions(workdir=tmp_path / "run"))
    if not report.passed:
        print_logs(tmp_path / "run")
    assert_passed(report, before)
