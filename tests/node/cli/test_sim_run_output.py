"""``deltachain sim run``'s end-of-run output: tables and sentences on stdout (no Python lists
or dicts), nothing of it on stderr, so ``> file`` keeps the results."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from node.cli.main import app
from node.cli.sim_run import render_checks, render_figures, render_seeds
from node.scenario.report import CheckResult, NodeObservation, RunReport
from node.scenario.verdict import check_caught_up, check_honest_running, check_min_height

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"


def _text(*renderables: object) -> str:
    buffer = StringIO()
    console = Console(file=buffer, width=160, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def _report(seed: int, passed: bool) -> RunReport:
    checks = [CheckResult("min_height", passed, "every honest node reached 5")]
    figures: dict[str, float | int | str | None] = {
        "final_height_max": 40, "finality_p50_ms": 131.0, "best_accuracy": 0.9526,
        "target_accuracy": 0.95, "target_version": 27, "seconds_to_target": 20.5,
        "duration_s": 21.0,
    }  # fmt: skip
    return RunReport("baseline-4", "simulate", seed, False, 21.0, checks=checks, figures=figures)


def test_sim_run_results_are_tables_on_stdout(tmp_path: Path) -> None:
    manifest = str(SCENARIOS / "baseline-4.toml")
    args = ["sim", "run", manifest, "--simulate", "--short", "--report", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for words in ("no conflicting blocks", "caught up", "perturbed", "finality p50", " ms"):
        assert words in out, words
    assert f"report: {tmp_path / 'r' / 'report.html'}" in out
    assert "[" not in out and "{" not in out
    assert "report:" not in result.stderr and "caught up" not in result.stderr


def test_sim_run_figures_have_units_and_the_target() -> None:
    text = _text(render_checks(_report(1, True)), render_figures(_report(1, True)))
    assert "minimum height" in text and "min_height" not in text
    assert "131 ms" in text and "20.5 s" in text
    assert "0.9526 (target 0.95, reached at v27)" in text


def test_sim_run_seeds_table_names_the_failed_checks() -> None:
    text = _text(render_seeds([_report(1, True), _report(2, False)]))
    rows = [line for line in text.splitlines() if "passed" in line or "FAILED" in line]
    assert len(rows) == 2
    assert "none" in rows[0] and "minimum height" in rows[1] and "40" in rows[1]


def test_check_details_are_sentences_not_python_values() -> None:
    def node(name: str, height: int, *, running: bool = True) -> NodeObservation:
        return NodeObservation(name, True, running, height, perturbed=name == "v1")

    nodes = [node("v0", 20), node("v1", 2, running=False), node("v2", 3)]
    details = [
        check_caught_up(nodes, 3).detail,
        check_caught_up([nodes[0], node("v1", 19)], 3).detail,
        check_honest_running(nodes).detail,
        check_min_height(nodes, 5).detail,
    ]
    assert details == [
        "more than 3 behind the tip 20: v1 at 2, v2 at 3",
        "all within 3 blocks of the tip 20; v1 perturbed and caught up",
        "not answering: v1",
        "below 5: v1 at 2, v2 at 3",
    ]
