"""``deltachain sim compose``: a scenario manifest as a docker-compose cluster.

Exit codes: 0 written; 2 bad arguments, an unreadable manifest or a directory that cannot be
used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.scenario.compose import (
    DEFAULT_IMAGE,
    DEFAULT_SUBNET,
    HOST_API_BASE,
    TOKEN_FILE,
    ClusterOptions,
    write_compose,
    write_homes,
)
from node.scenario.compose_init import build_init_compose, describe_init, existing_cluster
from node.scenario.errors import ScenarioError
from node.scenario.manifest import Manifest
from node.scenario.parse import load_manifest
from node.scenario.yamltext import dump_yaml

EXIT_USAGE = 2
EXIT_CODES_HELP = " ".join((__doc__ or "").split("\n\n", 1)[1].split())


def compose(
    manifest_path: Annotated[Path, typer.Argument(metavar="MANIFEST", help="Scenario TOML.")],
    *,
    out: Annotated[
        Path | None, typer.Option("--out", help="New directory for the cluster.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Key seed (default: the manifest's).")] = None,
    image: Annotated[str, typer.Option(help="Image the services run.")] = DEFAULT_IMAGE,
    subnet: Annotated[str, typer.Option(help="IPv4 subnet of the cluster.")] = DEFAULT_SUBNET,
    api_port_base: Annotated[
        int, typer.Option(help="Host port of the first node's API (127.0.0.1).")
    ] = HOST_API_BASE,
    homes_only: Annotated[
        bool, typer.Option(help="Write the node homes and token only (the init container).")
    ] = False,
    keep_existing: Annotated[
        bool, typer.Option(help="With --homes-only: leave homes of this scenario as they are.")
    ] = False,
    print_init_form: Annotated[
        bool, typer.Option(help="Print the self-initialising form (the root compose file).")
    ] = False,
) -> None:
    """Write node homes with static container addresses and a docker-compose.yml for them."""
    try:
        manifest = load_manifest(manifest_path)
        if print_init_form:
            options = ClusterOptions(image, subnet, api_port_base)
            data = build_init_compose(manifest, str(manifest_path), options)
            typer.echo(dump_yaml(data, comments=describe_init(manifest)), nl=False)
            return
        if out is None:
            raise typer.BadParameter("--out is required", param_hint="--out")
        _write(manifest, out, seed, image, subnet, api_port_base, homes_only, keep_existing)
    except (ScenarioError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _write(
    manifest: Manifest,
    out: Path,
    seed: int | None,
    image: str,
    subnet: str,
    api_port_base: int,
    homes_only: bool,
    keep_existing: bool,
) -> None:
    if keep_existing and not homes_only:
        raise typer.BadParameter("--keep-existing goes with --homes-only")
    if homes_only:
        if keep_existing and existing_cluster(manifest, out):
            typer.echo(f"{out} already holds the homes of {manifest.name}; left as they are")
            return
        layouts = write_homes(manifest, out, seed=seed, subnet=subnet)
        typer.echo(f"wrote {len(layouts)} node homes under {out}; token in {out / TOKEN_FILE}")
        return
    path = write_compose(
        manifest, out, seed=seed, image=image, subnet=subnet, host_api_base=api_port_base
    )
    typer.echo(f"wrote {path} and {len(manifest.nodes)} node homes")
    typer.echo(f"start: cd {out} && docker compose up -d   (API token in {TOKEN_FILE})")
