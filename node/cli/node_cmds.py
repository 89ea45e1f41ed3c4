"""``deltachain init``, ``start`` and ``status``."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from functools import partial
from pathlib import Path
from typing import Annotated

import trio
import typer

from node.cli.common import (
    EXIT_CODES_HELP,
    ExitCode,
    fail,
    print_json,
    report,
    resolve_api,
    setup_logging,
)
from node.errors import ConfigError, NodeError

CHAIN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")

HomeOption = Annotated[Path, typer.Option("--home", help="Node home directory.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def init(
    home: HomeOption,
    moniker: Annotated[str, typer.Option(help="Human-readable node name.")] = "node0",
    chain_id: Annotated[str, typer.Option("--chain-id")] = "deltachain-dev",
    genesis: Annotated[
        Path | None, typer.Option(help="Join a network: copy this genesis.cbor.")
    ] = None,
    p2p_port: Annotated[int, typer.Option("--p2p-port", min=0, max=65535)] = 26_656,
    api_port: Annotated[int, typer.Option("--api-port", min=0, max=65535)] = 8_545,
    bootstrap: Annotated[
        list[str] | None, typer.Option(help="Peer address .../p2p/<id> (repeatable).")
    ] = None,
) -> None:
    """Create a node home: key, config.toml and genesis (one-validator dev chain by default)."""
    from node.learning.settings import TrainingConfig
    from node.ops.config import ApiConfig, NodeConfig, P2PConfig, render_config
    from node.ops.genesis_file import load_genesis, write_genesis
    from node.ops.keys import create_key_file
    from node.ops.testnet import TestnetOptions, build_genesis, build_task
    from node.storage.blobs import BlobStore

    if (home / "config.toml").exists():
        fail(f"{home} is already initialised", ExitCode.CONFIG)
    if home.exists() and not home.is_dir():
        fail(f"--home {home} is a file, not a directory", ExitCode.CONFIG)
    try:
        validate_init_options(moniker, chain_id, tuple(bootstrap or ()))
        home.mkdir(parents=True, exist_ok=True)
        key = create_key_file(home / "node_key.json", secrets.token_bytes(32))
        if genesis is not None:
            load_genesis(genesis)  # validate before copying
            shutil.copyfile(genesis, home / "genesis.cbor")
        else:
            options = TestnetOptions(validators=1, chain_id=chain_id)
            task, snapshot = build_task(options)
            write_genesis(home / "genesis.cbor", build_genesis(options, [key], task))
            BlobStore(home / "data" / "blobs").put(snapshot)
        config = NodeConfig(
            home=home,
            moniker=moniker,
            p2p=P2PConfig(f"/ip4/127.0.0.1/tcp/{p2p_port}", tuple(bootstrap or ())),
            api=ApiConfig("127.0.0.1", api_port, ""),
            training=TrainingConfig(),
        )
        (home / "config.toml").write_text(render_config(config), encoding="utf-8")
    except NodeError as exc:
        report(exc)
    except OSError as exc:
        fail(f"cannot write the node home {home}: {exc.strerror or exc}", ExitCode.CONFIG)
    typer.echo(f"initialised {home} (address {key.address.hex()})")


def start(
    home: HomeOption,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Run a node until SIGINT, SIGTERM or SIGHUP."""
    from node.ops.config import load_config
    from node.ops.daemon import find_cause, run_daemon
    from node.ops.lifeline import parse_lifeline_fd

    setup_logging(log_level)
    try:
        config = load_config(home)
        lifeline_fd = parse_lifeline_fd(os.environ)
        trio.run(partial(run_daemon, config, lifeline_fd=lifeline_fd))
    except ConfigError as exc:
        report(exc)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | typer.Exit):
            raise
        cause = find_cause(exc)
        if isinstance(cause, NodeError):
            report(cause)
        raise


def validate_init_options(moniker: str, chain_id: str, bootstrap: tuple[str, ...]) -> None:
    """Refuse what would write a config or genesis that cannot be used (ConfigError)."""
    from node.ops.config import validate_moniker, validate_multiaddr

    validate_moniker(moniker)
    if not CHAIN_ID_PATTERN.fullmatch(chain_id):
        raise ConfigError(
            f"--chain-id {chain_id!r} must be 1 to 50 letters, digits, '.', '_' or '-'"
            " (starting with a letter or digit)"
        )
    for entry in bootstrap:
        validate_multiaddr("--bootstrap", entry, need_peer=True)


def status(
    home: Annotated[Path | None, typer.Option("--home")] = None,
    api: Annotated[
        str | None, typer.Option(help="Node API URL, e.g. http://127.0.0.1:8545")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a running node's status (and where its dashboard is)."""
    import time

    from rich.console import Console

    from node.api.client import ApiClient
    from node.api.errors import ApiError
    from node.cli.humane import render_identity, render_status

    url = resolve_api(home, api)
    try:
        info = ApiClient(url).get_status()
    except ApiError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)
    if as_json:
        print_json(info)
        return
    out = Console(highlight=False, soft_wrap=True)
    out.print(render_status(info, int(time.time() * 1000)))
    for line in render_identity(info, url.rstrip("/") + "/"):
        out.print(line)


def register(app: typer.Typer) -> None:
    for command in (init, start, status):
        app.command(epilog=EXIT_CODES_HELP)(command)
