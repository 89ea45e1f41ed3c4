"""``deltachain sim consensus`` through typer's CliRunner: JSON keys, summary, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from node.cli.main import app
from node.cli.sim import EXIT_LIVENESS, EXIT_OK, EXIT_SAFETY, EXIT_USAGE, get_exit_code
from node.sim import SeedResult, SimSummary, ViolationKind
from node.sim.checker import Violation

runner = CliRunner()
BASE = ["sim", "consensus", "--validators", "4", "--heights", "3", "--seeds", "2"]
REQUIRED_KEYS = {
    "seeds",
    "heights_final_min",
    "safety_violations",
    "liveness_failures",
    "mean_rounds_per_height",
    "trace_hashes",
    "wall_seconds",
}


def test_cli_json_prints_one_object_with_the_required_keys():
    result = runner.invoke(app, [*BASE, "--byzantine", "1", "--drop-rate", "0.05", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.output)
    assert set(data) >= REQUIRED_KEYS
    assert data["seeds"] == 2
    assert data["heights_final_min"] == 3
    assert data["safety_violations"] == 0 and data["liveness_failures"] == 0
    assert sorted(data["trace_hashes"]) == ["0", "1"]
    assert data["settings"]["byzantine"] == 1 and data["settings"]["preset"] == "local"


def test_cli_same_seeds_give_the_same_trace_hashes():
    args = [*BASE, "--seed-start", "5", "--partition", "100:900:0-1|2-3", "--json"]
    first = json.loads(runner.invoke(app, args).output)["trace_hashes"]
    second = json.loads(runner.invoke(app, args).output)["trace_hashes"]
    assert first == second
    assert sorted(first) == ["5", "6"]


def test_cli_runs_with_unequal_stakes():
    args = [*BASE, "--stakes", "30,30,25,15", "--byzantine", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.output)["settings"]["stakes"] == [30, 30, 25, 15]


def test_cli_without_json_prints_a_summary_table():
    result = runner.invoke(app, BASE)
    assert result.exit_code == EXIT_OK, result.output
    assert "consensus simulation" in result.output
    assert "safety violations" in result.output
    assert "mean rounds per height" in result.output


def test_cli_reports_a_liveness_failure_with_its_exit_code():
    args = [*BASE, "--partition", "0:20000:0-1|2-3", "--liveness-ms-per-height", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_LIVENESS
    assert json.loads(result.output)["liveness_failures"] == 2


def test_cli_exits_with_the_safety_code_when_a_coalition_forks_the_chain():
    args = [*BASE, "--byzantine", "2", "--policy", "fork", "--allow-unsafe", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_SAFETY, result.output
    data = json.loads(result.output)
    assert data["safety_violations"] >= 1
    assert data["failures"][0]["violations"][0]["kind"] == "conflicting-blocks"


def test_cli_rejects_bad_arguments_with_usage_exit_code():
    for extra in (
        ["--partition", "oops"],
        ["--byzantine", "2"],
        ["--policy", "sneaky"],
        ["--drop-rate", "1.5"],
        ["--seeds", "0"],
        ["--preset", "no-such-preset"],
        ["--stakes", "1,2,x,4"],
        ["--stakes", "1,2,3"],
    ):
        result = runner.invoke(app, [*BASE, *extra])
        assert result.exit_code == EXIT_USAGE, (extra, result.output)


def _result(safety: int, live: bool) -> SeedResult:
    violation = Violation(ViolationKind.CONFLICTING_BLOCKS, 1, 0, 1, "two blocks")
    return SeedResult(
        seed=0,
        trace_hash="00",
        target_height=1,
        heights_final_min=0 if live else 1,
        rounds_per_height=1.0,
        safety_violations=(violation,) * safety,
        other_violations=(),
        liveness_failure=live,
        evidence=0,
        rejected_byzantine=0,
        rejected_honest=0,
        messages_sent=0,
        messages_delivered=0,
        messages_dropped=0,
        events=0,
        virtual_ms=0,
        wall_seconds=0.0,
    )


def test_exit_code_puts_safety_before_liveness():
    assert get_exit_code(SimSummary((_result(1, True),), 0.0, {})) == EXIT_SAFETY
    assert get_exit_code(SimSummary((_result(0, True),), 0.0, {})) == EXIT_LIVENESS
    assert get_exit_code(SimSummary((_result(0, False),), 0.0, {})) == EXIT_OK
