"""``deltachain testnet create`` and ``testnet up``: a local multi-process network that trains."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from node.cli.app_cmds import ConfigOpt, parse_config_pairs
from node.cli.choices import validate_testnet_options
from node.cli.common import EXIT_CODES_HELP, ExitCode, console, fail, report
from node.cli.testnet_summary import print_results
from node.errors import NodeError

testnet_app = typer.Typer(help="Local multi-node testnets.", no_args_is_help=True)


@testnet_app.command(epilog=EXIT_CODES_HELP)
def create(
    out: Annotated[Path, typer.Option("--out", help="New directory for the node homes.")],
    validators: Annotated[int, typer.Option(min=1, max=64)] = 4,
    chain_id: Annotated[str, typer.Option("--chain-id")] = "deltachain-local",
    p2p_base_port: Annotated[int, typer.Option("--p2p-base-port")] = 26_600,
    api_base_port: Annotated[int, typer.Option("--api-base-port")] = 8_600,
    model: Annotated[str, typer.Option(help="Model id, e.g. mlp-digits.")] = "mlp-digits",
    rule: Annotated[
        str, typer.Option(help="fedavg, median, trimmed_mean, krum, multi_krum")
    ] = "fedavg",
    partition: Annotated[str, typer.Option(help="iid or dirichlet")] = "iid",
    alpha: Annotated[float, typer.Option(help="Dirichlet concentration.")] = 0.5,
    local_epochs: Annotated[int, typer.Option("--local-epochs", min=1)] = 2,
    seed: Annotated[int | None, typer.Option(help="Reproducible keys (dev only).")] = None,
    preset: Annotated[str, typer.Option(help="Chain preset: local, testnet or a .toml.")] = "local",
    app_source: Annotated[
        str | None,
        typer.Option("--app", help="Learning app: built-in name, app directory or bundle file."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="The app's data path for the next node (once per node)."),
    ] = None,
    split_source: Annotated[
        Path | None,
        typer.Option(
            "--split-data",
            help="Cut this dataset (as `data split` does, by --partition and --alpha) into one "
            "folder per node under OUT/split-data/; instead of --data.",
        ),
    ] = None,
    label: Annotated[str, typer.Option(help="--split-data's CSV or Parquet label column.")] = (
        "label"
    ),
    config: ConfigOpt = None,
    min_deltas: Annotated[
        int, typer.Option("--min-deltas", min=0, help="Deltas per version (0: n - f).")
    ] = 0,
    staleness_exponent: Annotated[
        float,
        typer.Option(
            "--staleness-exponent",
            min=0.0,
            max=10.0,
            help="a: a delta s versions old counts 1/(1+s)^a (0: every delta counts fully).",
        ),
    ] = 0.0,
) -> None:
    """Write node homes (keys, configs, one genesis with a training task) for N validators.

    With --app the task runs that learning app: every node given a --data path (in node
    order) joins it and trains on its own data; the digits-mlp app needs no --data.
    --split-data SRC cuts one dataset into a folder per node and joins every node with its own.
    """
    from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
    from node.sim.errors import SimConfigError
    from node.sim.preset import load_preset

    try:
        params = load_preset(preset)
    except SimConfigError as exc:
        fail(str(exc), ExitCode.CONFIG)
    weights = {"staleness_exponent": staleness_exponent} if staleness_exponent else {}
    task = TaskOptions(model_id=model, rule=rule, rule_params=weights, min_deltas=min_deltas)
    if app_source is not None:
        task = dataclasses.replace(task, app=_prepare_app(app_source, parse_config_pairs(config)))

    validate_testnet_options(model, rule, partition, alpha)
    if split_source is not None and (data or app_source is None):
        fail("--split-data needs --app and replaces --data", ExitCode.USAGE)
    options = TestnetOptions(
        validators=validators,
        chain_id=chain_id,
        p2p_base_port=p2p_base_port,
        api_base_port=api_base_port,
        partition=partition,
        alpha=alpha,
        local_epochs=local_epochs,
        seed=seed,
        task=task,
        params=params,
        data=tuple(data or ()),
        split_data=split_source,
        split_label=label,
    )
    try:
        manifest = create_testnet(out, options)
    except NodeError as exc:
        report(exc)
    except Exception as exc:
        fail(f"cannot create the testnet: {exc}", ExitCode.CONFIG)
    count = len(manifest["nodes"])  # type: ignore[arg-type]
    typer.echo(f"created {count} nodes in {out}; start them: deltachain testnet up {out}")


def _prepare_app(source: str, config: dict[str, Any]) -> Any:
    from node.ops.app_task import prepare_app_task

    try:
        return prepare_app_task(source, config)
    except NodeError as exc:
        report(exc)


@testnet_app.command(epilog=EXIT_CODES_HELP)
def up(
    directory: Annotated[Path, typer.Argument(help="A directory made by `testnet create`.")],
    until_accuracy: Annotated[float, typer.Option("--until-accuracy")] = 0.95,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 600.0,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write the summary JSON.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start every node, show live progress, stop at the accuracy target (or Ctrl-C), summarise.

    Every node stops when `testnet up` ends, however it ends: Ctrl-C, SIGTERM, SIGHUP, an error,
    or even SIGKILL (each node watches a lifeline pipe to this process).
    """
    from node.ops.cluster_report import collect_summary, find_reached_version, get_models
    from node.ops.launcher import Cluster
    from node.ops.ports import validate_ports_free
    from node.ops.signals import stop_signals_raise

    manifest = _load_manifest(directory)
    cluster = Cluster.from_manifest(manifest)
    try:
        validate_ports_free([(n.name, n.home) for n in cluster.nodes])
    except NodeError as exc:
        report(exc)
    started = time.monotonic()
    reached: int | None = None
    try:
        with stop_signals_raise(LauncherStopped):
            cluster.start_all()
            _print_endpoints(cluster)
            cluster.wait_until_serving(60.0)
            with Live(console=console, refresh_per_second=2) as live:
                while time.monotonic() - started < timeout and reached is None:
                    time.sleep(1.0)
                    live.update(
                        _progress_table(cluster, until_accuracy, time.monotonic() - started)
                    )
                    reached = find_reached_version(get_models(cluster.nodes[0]), until_accuracy)
            if not console.is_terminal:
                console.line()  # the last frame ends without one where stderr is a file
            elapsed = time.monotonic() - started
            balances = _initial_balances(manifest)
            summary = collect_summary(cluster, _addresses(manifest), balances)
    except (KeyboardInterrupt, LauncherStopped) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        console.print(f"{reason}: stopping the nodes")
        cluster.close()
        console.print("every node stopped")
        raise typer.Exit(int(ExitCode.FAILURE)) from None
    except (RuntimeError, TimeoutError) as exc:
        cluster.close()
        fail(str(exc), ExitCode.FAILURE)
    finally:
        cluster.close()
    summary.target_accuracy = until_accuracy
    summary.reached_version = reached
    summary.seconds_to_target = round(elapsed, 1) if reached is not None else None
    if report_path is not None:
        report_path.write_text(json.dumps(summary.to_json(), indent=2), encoding="utf-8")
    print_results(summary.to_json(), directory, as_json=as_json)
    if reached is None or not summary.same_model_hash:
        raise typer.Exit(int(ExitCode.FAILURE))


class LauncherStopped(Exception):  # noqa: N818 - names the event, like KeyboardInterrupt
    """SIGTERM or SIGHUP reached `testnet up`; the nodes are being stopped."""


def _print_endpoints(cluster: Any) -> None:
    """Where each node is: its dashboard (and API) address, its process and its home."""
    for node in cluster.nodes:
        pid = node.process.pid if node.process is not None else "-"
        console.print(
            f"started {node.name} (pid {pid}): dashboard {node.api_url.rstrip('/')}/ "
            f"home {node.home}",
            highlight=False,
            soft_wrap=True,
        )


def _load_manifest(directory: Path) -> dict[str, Any]:
    path = directory / "testnet.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path} not found: create the testnet first", ExitCode.CONFIG)
    except (OSError, ValueError, RecursionError) as exc:
        fail(f"{path} is unreadable: {exc}", ExitCode.CONFIG)
    return manifest


def _addresses(manifest: dict[str, Any]) -> dict[str, str]:
    return {str(n["name"]): str(n["address"]) for n in manifest["nodes"]}


def _initial_balances(manifest: dict[str, Any]) -> dict[str, int]:
    from node.ops.genesis_file import load_genesis

    genesis = load_genesis(Path(manifest["nodes"][0]["home"]) / "genesis.cbor")
    balances = {a.address.hex(): a.balance for a in genesis.accounts}
    for task in genesis.tasks:  # the pool a creator escrowed is not a loss of earnings
        creator = task.creator.hex()
        balances[creator] = balances.get(creator, 0) - task.spec.reward_pool
    return {name: balances.get(address, 0) for name, address in _addresses(manifest).items()}


def _progress_table(cluster: Any, target: float, elapsed: float) -> Table:
    from node.ops.cluster_report import get_models

    table = Table(title=f"testnet — {elapsed:.0f}s, target accuracy {target:.0%}")
    for column in ("node", "height", "round", "model version", "accuracy", "peers", "finality p50"):
        table.add_column(column)
    for node in cluster.nodes:
        status = node.get("/status")
        if status is None:
            table.add_row(node.name, "-", "-", "-", "-", "-", "-")
            continue
        models = get_models(node)
        accuracy = next(
            (m["accuracy"] for m in reversed(models) if m["accuracy"] is not None), None
        )
        p50 = status.get("finality_p50_ms")
        table.add_row(
            node.name,
            str(status["height"]),
            str(status["round"]),
            str(status["models"].get("1", "-")),
            "-" if accuracy is None else f"{accuracy:.3f}",
            str(status["peers"]),
            "-" if p50 is None else f"{p50:.0f} ms",
        )
    return table
