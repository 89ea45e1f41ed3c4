"""``deltachain sim consensus``: run the deterministic consensus simulator over many seeds.

Exit codes: 0 every seed was safe and live; 1 a safety violation (two honest nodes finalized
different blocks or reached different states at one height); 2 bad arguments; 3 a liveness
failure (some honest node missed the target height by the deadline); 4 another broken
invariant (an honest node asked to double-sign, finalizing out of order, or accused by evidence).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from consensus.params import ChainParams
from node.cli import sim_compose, sim_run
from node.sim import (
    ALL_POLICIES,
    NetworkConfig,
    Policy,
    SimConfig,
    SimError,
    SimSummary,
    parse_partition,
    run_seeds,
)
from node.sim.preset import load_preset

EXIT_OK = 0
EXIT_SAFETY = 1
EXIT_USAGE = 2
EXIT_LIVENESS = 3
EXIT_INVARIANT = 4

sim_app = typer.Typer(
    name="sim",
    help="Scenarios on real nodes or in simulation (run), compose clusters (compose), and the "
    "deterministic consensus simulator (consensus).",
    no_args_is_help=True,
    add_completion=False,
)
sim_app.command("compose", epilog=sim_compose.EXIT_CODES_HELP)(sim_compose.compose)
sim_app.command("run", epilog=sim_run.EXIT_CODES_HELP)(sim_run.run_command)

EXIT_CODES_HELP = " ".join(__doc__.split("\n\n", 1)[1].split())

_POLICY_HELP = (
    "Comma-separated Byzantine policies, taken in turn: "
    + ", ".join(p.value for p in ALL_POLICIES)
    + " (the default), or fork (a colluding coalition; a real fork needs --allow-unsafe)"
)


@sim_app.command("consensus", epilog=EXIT_CODES_HELP)
def consensus(
    *,
    validators: Annotated[int, typer.Option("--validators", "-n", help="Validators.")] = 7,
    byzantine: Annotated[int, typer.Option(help="Byzantine validators (<= f by default).")] = 0,
    heights: Annotated[int, typer.Option(help="Target height every honest node must reach.")] = 10,
    seeds: Annotated[int, typer.Option(help="Number of seeds to run.")] = 10,
    seed_start: Annotated[int, typer.Option(help="First seed.")] = 0,
    policy: Annotated[str, typer.Option(help=_POLICY_HELP)] = ",".join(
        p.value for p in ALL_POLICIES
    ),
    latency_ms: Annotated[int, typer.Option(help="Mean one-way link latency (ms).")] = 50,
    jitter_ms: Annotated[int, typer.Option(help="Per-message latency jitter (+/- ms).")] = 20,
    drop_rate: Annotated[float, typer.Option(help="Probability a message is lost.")] = 0.0,
    partition: Annotated[
        list[str] | None,
        typer.Option(help='Partition "start_ms:end_ms:0-3|4-6"; repeat for several.'),
    ] = None,
    stakes: Annotated[
        str, typer.Option(help="Comma-separated stake per validator (default: equal).")
    ] = "",
    txs_per_proposal: Annotated[int, typer.Option(help="Transfers per proposed block.")] = 2,
    gossip_interval_ms: Annotated[int, typer.Option(help="Re-send period when stalled.")] = 250,
    liveness_ms_per_height: Annotated[
        int, typer.Option(help="Virtual-time budget per height after the last heal (ms).")
    ] = 10_000,
    allow_unsafe: Annotated[bool, typer.Option(help="Allow more than f Byzantine.")] = False,
    preset: Annotated[
        str, typer.Option(help="Chain preset (configs/presets) or a .toml path; timeouts etc.")
    ] = "local",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run N validators' real BFT engines over a seeded network; check safety and liveness."""
    try:
        network = NetworkConfig(
            latency_ms, jitter_ms, drop_rate, tuple(parse_partition(p) for p in partition or ())
        )
        config = SimConfig(
            validators=validators,
            heights=heights,
            byzantine=byzantine,
            policies=_parse_policies(policy),
            network=network,
            stakes=_parse_stakes(stakes),
            txs_per_proposal=txs_per_proposal,
            gossip_interval_ms=gossip_interval_ms,
            liveness_ms_per_height=liveness_ms_per_height,
            allow_unsafe=allow_unsafe,
        )
        params = load_preset(preset)
    except SimError as exc:
        raise typer.BadParameter(str(exc)) from None
    if seeds < 1 or seed_start < 0:
        raise typer.BadParameter("--seeds must be >= 1 and --seed-start >= 0")
    seed_range = range(seed_start, seed_start + seeds)
    if as_json:
        summary = _run_json(config, seed_range, params, preset)
    else:
        summary = _run_rich(config, seed_range, params)
    raise typer.Exit(get_exit_code(summary))


def get_exit_code(summary: SimSummary) -> int:
    """The documented exit code for a summary (safety beats liveness beats other)."""
    if summary.safety_violations:
        return EXIT_SAFETY
    if summary.liveness_failures:
        return EXIT_LIVENESS
    if summary.invariant_violations:
        return EXIT_INVARIANT
    return EXIT_OK


def _parse_stakes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"stakes must be integers, got {text!r}") from None


def _parse_policies(text: str) -> tuple[Policy, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    try:
        return tuple(Policy(name) for name in names)
    except ValueError:
        known = ", ".join(p.value for p in Policy)
        raise typer.BadParameter(f"unknown policy in {text!r}; known: {known}") from None


def _run_json(config: SimConfig, seeds: range, params: ChainParams, preset: str) -> SimSummary:
    summary = run_seeds(config, seeds, params)
    data = summary.to_json()
    data["settings"]["preset"] = preset
    typer.echo(json.dumps(data, sort_keys=True))
    return summary


def _run_rich(config: SimConfig, seeds: range, params: ChainParams) -> SimSummary:
    """The progress bar on stderr, the summary table on stdout."""
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]seeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("seeds", total=len(seeds), status="")
        state = {"bad": 0}

        def advance(result: object) -> None:
            state["bad"] += not getattr(result, "is_ok", True)
            status = f"[red]{state['bad']} failing" if state["bad"] else "[green]all ok"
            progress.update(task, advance=1, status=status)

        summary = run_seeds(config, seeds, params, on_result=advance)
    Console().print(render_summary(summary))
    return summary


def render_summary(summary: SimSummary) -> Table:
    """A readable table of the run."""
    data = summary.to_json()
    settings = data["settings"]
    table = Table(title="consensus simulation", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    scenario = (
        f"{settings['validators']} validators, {settings['byzantine']} Byzantine "
        f"({', '.join(settings['policies']) or 'none'}), drop {settings['drop_rate']}, "
        f"{len(settings['partitions'])} partition(s)"
    )
    rows = [
        ("scenario", scenario),
        ("seeds", str(data["seeds"])),
        ("target height", str(data["heights_target"])),
        ("lowest final height (honest)", str(data["heights_final_min"])),
        ("safety violations", _mark(data["safety_violations"])),
        ("liveness failures", _mark(data["liveness_failures"])),
        ("other invariant violations", _mark(data["invariant_violations"])),
        ("mean rounds per height", f"{data['mean_rounds_per_height']:.3f}"),
        ("double-sign evidence found", str(data["evidence"])),
        ("Byzantine inputs rejected", str(data["rejected_byzantine_inputs"])),
        ("messages sent / dropped", f"{data['messages_sent']} / {data['messages_dropped']}"),
        ("mean virtual time (ms)", str(data["virtual_ms_mean"])),
        ("wall time (s)", str(data["wall_seconds"])),
    ]
    first = next(iter(data["trace_hashes"].items()), None)
    if first is not None:
        rows.append((f"trace hash (seed {first[0]})", first[1]))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _mark(count: int) -> str:
    return "[green]0" if count == 0 else f"[red]{count}"
