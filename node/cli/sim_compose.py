"""``deltachain sim compose``: a scenario manifest as a docker-compose cluster.

Exit codes: 0 written; 2 bad arguments or a directory that cannot be used; 3 the manifest is
missing, unreadable or inconsistent (as for ``sim run``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.bundled import find_scenario
from node.scenario.compose import (
    DEFAULT_IMAGE,
    DEFAULT_SUBNET,
    HOST_API_BASE,
    ClusterOptions,
    write_compose,
    write_homes,
)
from node.scenario.compose_hosts import parse_hosts, write_per_host
from node.scenario.compose_init import build_init_compose, describe_init, existing_cluster
from node.scenario.compose_service import TOKEN_FILE, ComposeError
from node.scenario.errors import ManifestError, ScenarioError
from node.scenario.manifest import Manifest
from node.scenario.parse import load_manifest
from node.scenario.yamltext import dump_yaml

EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_CODES_HELP = " ".join((__doc__ or "").split("\n\n", 1)[1].split())


def compose(
    manifest_path: Annotated[
        Path, typer.Argument(metavar="MANIFEST", help="Scenario TOML, or a shipped one's name.")
    ],
    *,
    out: Annotated[
        Path | None, typer.Option("--out", help="New directory for the cluster.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Key seed (default: the manifest's).")] = None,
    image: Annotated[str, typer.Option(help="Image the services run.")] = DEFAULT_IMAGE,
    subnet: Annotated[
        str, typer.Option(help="IPv4 subnet of the cluster, /24 or smaller.")
    ] = DEFAULT_SUBNET,
    api_port_base: Annotated[
        int, typer.Option(help="Host port of the first node's API (127.0.0.1).")
    ] = HOST_API_BASE,
    uid: Annotated[
        int | None, typer.Option(help="Run the nodes as this uid (default: yours; 1000 for root).")
    ] = None,
    gid: Annotated[int | None, typer.Option(help="... and this gid.")] = None,
    homes_only: Annotated[
        bool, typer.Option(help="Write the node homes and token only (the init container).")
    ] = False,
    keep_existing: Annotated[
        bool, typer.Option(help="With --homes-only: leave homes of this scenario as they are.")
    ] = False,
    print_init_form: Annotated[
        bool, typer.Option(help="Print the self-initialising form (the root compose file).")
    ] = False,
    per_host: Annotated[
        bool, typer.Option(help="One directory and compose file per host (host networking).")
    ] = False,
    hosts: Annotated[
        str, typer.Option(help="With --per-host: every node's host address, v0=IP,v1=IP,...")
    ] = "",
) -> None:
    """Write node homes with static container addresses and a docker-compose.yml for them."""
    options = ClusterOptions(image, subnet, api_port_base, uid, gid)
    try:
        manifest = load_manifest(manifest_path)
    except ManifestError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    try:
        if print_init_form:
            data = build_init_compose(manifest, shipped_name(manifest), options)
            typer.echo(dump_yaml(data, comments=describe_init(manifest)), nl=False)
            return
        if out is None:
            raise typer.BadParameter("--out is required", param_hint="--out")
        if per_host:
            paths = write_per_host(manifest, out, parse_hosts(hosts, manifest), options, seed)
            names = ", ".join(p.parent.name for p in paths)
            typer.echo(f"wrote {len(paths)} host directories under {out}: {names}")
            typer.echo("copy each to its host, then there: docker compose up -d")
            return
        _write(manifest, out, seed, options, homes_only, keep_existing)
    except (ScenarioError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def shipped_name(manifest: Manifest) -> str:
    """The name the init container reads ``manifest`` by: it must be one the package ships."""
    path = find_scenario(manifest.name)
    if path is None or load_manifest(path) != manifest:
        raise ComposeError(
            f"the init form runs a scenario shipped in the image; {manifest.name!r} is not one "
            "(use --out for a cluster of any manifest)"
        )
    return manifest.name


def _write(
    manifest: Manifest,
    out: Path,
    seed: int | None,
    options: ClusterOptions,
    homes_only: bool,
    keep_existing: bool,
) -> None:
    if keep_existing and not homes_only:
        raise typer.BadParameter("--keep-existing goes with --homes-only")
    if homes_only:
        if keep_existing and existing_cluster(manifest, out, options.subnet):
            typer.echo(f"{out} already holds the homes of {manifest.name}; left as they are")
            return
        layouts = write_homes(manifest, out, seed=seed, subnet=options.subnet)
        typer.echo(f"wrote {len(layouts)} node homes under {out}; token in {out / TOKEN_FILE}")
        return
    path = write_compose(manifest, out, options, seed=seed)
    typer.echo(f"wrote {path} and {len(manifest.nodes)} node homes")
    typer.echo(f"start: cd {out} && docker compose up -d   (API token in {TOKEN_FILE})")
