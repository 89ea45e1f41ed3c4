"""``deltachain sim run MANIFEST``: run a scenario on real nodes (processes, network namespaces or
Docker containers) or in the simulator, and judge it.

Exit codes: 0 every check of every seed passed; 1 a check failed (or the run was interrupted);
2 bad arguments; 3 the manifest is unreadable or inconsistent; 7 the run could not be carried
out (a node would not start or answer, no free ports, network namespaces or Docker unavailable).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from node.cli.common import ExitCode, console, fail, setup_logging
from node.scenario.errors import ManifestError, ScenarioError
from node.scenario.glossary import MAIN_FIGURES, format_figure, get_check, get_figure
from node.scenario.manifest import Manifest
from node.scenario.options import RunOptions
from node.scenario.report import RunReport

logger = logging.getLogger(__name__)

stdout = Console(highlight=False, soft_wrap=True)
"""Results (the checks, the figures, where the report is); progress and errors go to stderr."""

EXIT_CODES_HELP = " ".join(__doc__.split("\n\n", 1)[1].split())


def run_command(
    manifest_path: Annotated[Path, typer.Argument(metavar="MANIFEST", help="A scenario .toml.")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: the manifest's).")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Report directory (default reports/NAME).")
    ] = None,
    netns: Annotated[bool, typer.Option(help="One network namespace per node (root).")] = False,
    docker: Annotated[bool, typer.Option(help="One Docker container per node.")] = False,
    docker_image: Annotated[
        str, typer.Option(help="With --docker: the image (built from this checkout if missing).")
    ] = "deltachain:latest",
    short: Annotated[bool, typer.Option(help="Apply the manifest's \\[short] settings.")] = False,
    simulate: Annotated[
        bool, typer.Option(help="Deterministic in-process simulation instead of processes.")
    ] = False,
    seeds: Annotated[int, typer.Option(min=1, help="Runs, with seeds counted up.")] = 1,
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", min=1.0, help="Override the time limit.")
    ] = None,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the node homes and logs in this directory.")
    ] = None,
    p2p_base_port: Annotated[int | None, typer.Option(min=1024, max=65_000)] = None,
    api_base_port: Annotated[int | None, typer.Option(min=1024, max=65_000)] = None,
    progress: Annotated[bool, typer.Option(help="Live progress table.")] = True,
    log_level: Annotated[str, typer.Option(help="The runner's log level.")] = "warning",
    node_log_level: Annotated[str, typer.Option(help="The nodes' log level.")] = "info",
) -> None:
    """Start the manifest's nodes, play its schedule, check the end state, write a report."""
    setup_logging(log_level)
    if sum((netns, docker, simulate)) > 1:
        fail("choose one of --netns, --docker and --simulate", ExitCode.USAGE)
    manifest = _load(manifest_path)
    first = manifest.seed if seed is None else seed
    directory = report or Path("reports") / manifest.name
    reports = []
    for run_seed in range(first, first + seeds):
        where = directory if seeds == 1 else directory / f"seed-{run_seed}"
        if simulate:
            result = _simulate(manifest, run_seed, short)
        else:
            workdir = None if keep is None else (keep if seeds == 1 else keep / f"seed-{run_seed}")
            options = RunOptions(
                seed=run_seed,
                short=short,
                duration_s=duration_s,
                netns=netns,
                docker=docker,
                docker_image=docker_image,
                workdir=workdir,
                p2p_base_port=p2p_base_port,
                api_base_port=api_base_port,
                node_log_level=node_log_level,
                progress=progress and console.is_terminal,
            )
            result = _run(manifest, options)
        _write(result, where)
        reports.append(result)
    if seeds > 1:
        _write_summary(reports, directory)
    raise typer.Exit(int(ExitCode.OK if all(r.passed for r in reports) else ExitCode.FAILURE))


def _load(path: Path) -> Manifest:
    from node.scenario.parse import load_manifest

    try:
        return load_manifest(path)
    except ManifestError as exc:
        fail(str(exc), ExitCode.CONFIG)


def _run(manifest: Manifest, options: RunOptions) -> RunReport:
    from node.scenario.runner import RunInterrupted, run_scenario

    try:
        return run_scenario(manifest, options)
    except (KeyboardInterrupt, RunInterrupted):
        fail("interrupted: every node was stopped", ExitCode.FAILURE)
    except ManifestError as exc:
        fail(str(exc), ExitCode.CONFIG)
    except ScenarioError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)


def _simulate(manifest: Manifest, seed: int, short: bool) -> RunReport:
    """The deterministic in-process mode (``node.scenario.simulate``)."""
    from node.scenario.simulate import simulate_manifest

    plan = manifest.shortened() if short else manifest
    try:
        return simulate_manifest(plan, seed, short=short)
    except ManifestError as exc:
        fail(str(exc), ExitCode.CONFIG)
    except ScenarioError as exc:
        fail(str(exc), ExitCode.FAILURE)


def _write(result: RunReport, directory: Path) -> None:
    from node.scenario.output import write_report

    try:
        json_path, html_path = write_report(result, directory)
    except ScenarioError as exc:
        fail(str(exc), ExitCode.FAILURE)
    stdout.print(render_checks(result))
    stdout.print(render_figures(result))
    stdout.print(f"report: {html_path} (data: {json_path})")


def _write_summary(reports: list[RunReport], directory: Path) -> None:
    summary = {
        "scenario": reports[0].scenario,
        "mode": reports[0].mode,
        "runs": [{"seed": r.seed, "passed": r.passed, "figures": r.figures} for r in reports],
        "passed": sum(r.passed for r in reports),
        "failed": sum(not r.passed for r in reports),
    }
    path = directory / "summary.json"
    try:
        path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc}", ExitCode.FAILURE)
    stdout.print(render_seeds(reports))
    stdout.print(f"{summary['passed']} of {len(reports)} runs passed; summary: {path}")


def render_checks(result: RunReport) -> Table:
    """The checks of one run: what each means in a few words, pass or FAIL, and why."""
    verdict = "[green]passed[/]" if result.passed else "[red]FAILED[/]"
    title = f"{result.scenario} seed {result.seed} ({result.mode}): {verdict}"
    table = Table("check", "result", "detail", title=title)
    for check in result.checks:
        mark = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
        table.add_row(get_check(check.name).title, mark, check.detail)
    return table


def render_figures(result: RunReport) -> Table:
    """The run's main figures with their units (report.json and the page have every one)."""
    table = Table("figure", "value", title="figures")
    for name in MAIN_FIGURES:
        if name in result.figures:
            table.add_row(get_figure(name).title, _figure_text(result, name))
    return table


def render_seeds(reports: list[RunReport]) -> Table:
    """One row per seed of a ``--seeds K`` run."""
    heads = ("seed", "result", "highest final height", "finality p50", "best accuracy",
             "time to target", "failed checks")  # fmt: skip
    table = Table(*heads, title=f"{reports[0].scenario}: every seed")
    for r in reports:
        failed = ", ".join(get_check(c.name).title for c in r.checks if not c.passed)
        table.add_row(
            str(r.seed),
            "[green]passed[/]" if r.passed else "[red]FAILED[/]",
            *(format_figure(n, r.figures.get(n)) for n in _SEED_FIGURES),
            failed or "none",
        )
    return table


_SEED_FIGURES = ("final_height_max", "finality_p50_ms", "best_accuracy", "seconds_to_target")


def _figure_text(result: RunReport, name: str) -> str:
    text = format_figure(name, result.figures.get(name))
    target = result.figures.get("target_accuracy")
    if name == "best_accuracy" and target is not None:
        version = result.figures.get("target_version")
        reached = f"reached at v{version}" if version is not None else "not reached"
        return f"{text} (target {format_figure('target_accuracy', target)}, {reached})"
    return text
