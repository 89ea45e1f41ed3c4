"""``deltachain app new | build | inspect``: write, bundle and look into learning apps.

Tables go to stdout (``--json`` prints JSON instead), logs and errors to stderr. ``build``
imports the app to read its layout (it is your own code); ``inspect`` runs nothing unless
``--layout`` asks it to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from node.cli.common import EXIT_CODES_HELP, ExitCode, console, fail, print_json, report
from node.errors import NodeError

app_app = typer.Typer(
    help="Learning apps: a task's model and data code, bundled by hash.",
    no_args_is_help=True,
    epilog=EXIT_CODES_HELP,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ConfigOpt = Annotated[
    list[str] | None,
    typer.Option("--config", help="Override an app.toml config value: key=value (repeatable)."),
]


def parse_config_pairs(pairs: list[str] | None) -> dict[str, Any]:
    """``key=value`` options as a config mapping; exit 2 on a malformed pair."""
    from ml.apps.manifest import parse_config_pairs as parse_pairs
    from ml.errors import AppError

    try:
        return parse_pairs(pairs or [])
    except AppError as exc:
        fail(str(exc), ExitCode.USAGE)


@app_app.command("new", epilog=EXIT_CODES_HELP)
def new(
    directory: Annotated[Path, typer.Argument(help="New directory for the app.")],
    name: Annotated[str | None, typer.Option("--name", help="App name (default: DIR).")] = None,
) -> None:
    """Scaffold a working app (a tabular MLP over CSV files) to edit."""
    from ml.apps.scaffold import write_scaffold
    from ml.errors import MlError

    try:
        written = write_scaffold(directory, name)
    except MlError as exc:
        fail(str(exc), ExitCode.USAGE)
    for path in written:
        console.print(f"wrote {path}")
    console.print(f"next: deltachain app build {directory} --out app.zip")


@app_app.command("build", epilog=EXIT_CODES_HELP)
def build(
    directory: Annotated[Path, typer.Argument(help="The app's directory.")],
    out: Annotated[Path, typer.Option("--out", help="Bundle file to write.")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the deterministic bundle; print its app_hash, layout and layout_hash."""
    from node.ops.app_source import describe_app, load_app_source, probe

    try:
        source = load_app_source(str(directory))
        layout = probe(source, parse_config_pairs(config)).layout
        out.write_bytes(source.data)
    except NodeError as exc:
        report(exc)
    except OSError as exc:
        fail(f"cannot write {out}: {exc}", ExitCode.FAILURE)
    _show({**describe_app(source, layout), "out": str(out)}, as_json)


@app_app.command("inspect", epilog=EXIT_CODES_HELP)
def inspect(
    source: Annotated[str, typer.Argument(help="Bundle file, app directory, built-in or hash.")],
    home: Annotated[
        Path | None, typer.Option("--home", help="Look a hash up in this node's blobs.")
    ] = None,
    layout: Annotated[
        bool, typer.Option("--layout", help="Also compute the layout (runs the app's code).")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a bundle's files with their hashes, its manifest and (with --layout) its layout."""
    from node.ops.app_source import describe_app, load_app_source, probe

    try:
        found = load_app_source(source, home)
        shape = probe(found, parse_config_pairs(config)).layout if layout else None
    except NodeError as exc:
        report(exc)
    _show(describe_app(found, shape), as_json)


def _show(info: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    out = Console()
    summary = Table(show_header=False, title=f"app {info['name']} {info['version']}")
    summary.add_column("key", no_wrap=True)
    summary.add_column("value", overflow="fold")
    for key in ("app_hash", "entry", "bytes", "layout_hash", "num_params", "out"):
        if key in info:
            summary.add_row(key, str(info[key]))
    summary.add_row("config", ", ".join(f"{k}={v}" for k, v in info["config"].items()))
    out.print(summary)
    files = Table("file", "bytes", title="files")
    files.add_column("sha256", overflow="fold")
    for entry in info["files"]:
        files.add_row(entry["name"], str(entry["size"]), entry["sha256"])
    out.print(files)
    if "layout" in info:
        tensors = Table("tensor", "shape", title="layout (float32)")
        for entry in info["layout"]:
            tensors.add_row(entry["name"], "x".join(map(str, entry["shape"])) or "scalar")
        out.print(tensors)
