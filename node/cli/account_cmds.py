"""``deltachain keys show|new`` (your address, in full) and ``deltachain account ADDRESS``
(balance, stake, nonce, delegations and what the account earned, from a running node)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from node.api.errors import ApiError
from node.cli.common import EXIT_CODES_HELP, ExitCode, fail, print_json, report
from node.cli.tx_cmds import ApiOpt, HomeOpt, JsonOpt, connect, fail_api, parse_address
from node.errors import NodeError

keys_app = typer.Typer(
    help="Signing keys: show a node's address, make a new key.",
    no_args_is_help=True,
    epilog=EXIT_CODES_HELP,
)
stdout = Console(highlight=False, soft_wrap=True)
KEY_FILE = "node_key.json"


def describe_key(path: Path) -> dict[str, str]:
    """The address (the Ed25519 public key, 64 hex digits) and libp2p peer id of a key file."""
    from node.network.peer_id import compute_peer_id
    from node.ops.keys import load_key_file

    key = load_key_file(path)
    return {"address": key.address.hex(), "peer_id": compute_peer_id(key.seed), "file": str(path)}


def _print_key(info: dict[str, str], as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    stdout.print(f"address  {info['address']}")
    stdout.print(f"peer id  {info['peer_id']}")
    stdout.print(f"key file {info['file']}")


@keys_app.command("show", epilog=EXIT_CODES_HELP)
def show(
    home: Annotated[
        Path | None, typer.Option("--home", help="Node home (its node_key.json).")
    ] = None,
    key_file: Annotated[Path | None, typer.Option("--key", help="A key file instead.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the address (to receive funds, to vote for) and peer id of a node's key."""
    if (home is None) == (key_file is None):
        fail("give --home DIR or --key FILE", ExitCode.USAGE)
    path = key_file if key_file is not None else home / KEY_FILE  # type: ignore[operator]
    try:
        _print_key(describe_key(path), as_json)
    except NodeError as exc:
        report(exc)


@keys_app.command("new", epilog=EXIT_CODES_HELP)
def new(
    out: Annotated[Path, typer.Option("--out", help="The new key file (must not exist).")],
    as_json: JsonOpt = False,
) -> None:
    """Make a new signing key (random) in a file readable only by you; print its address."""
    from node.ops.keys import create_key_file

    if out.exists():
        fail(f"{out} already exists: not overwriting a key", ExitCode.CONFIG)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        create_key_file(out, secrets.token_bytes(32))
        _print_key(describe_key(out), as_json)
    except NodeError as exc:
        report(exc)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}", ExitCode.CONFIG)


def account(
    address: Annotated[str, typer.Argument(help="The account's address (64 hex digits).")],
    home: HomeOpt = None,
    api: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an account: balance, bonded and unbonding stake, nonce, votes, rewards earned."""
    value = parse_address(address, "ADDRESS")
    client = connect(home, api)
    try:
        info = client.get(f"/accounts/{value.hex()}")
    except ApiError as exc:
        fail_api(exc)
    if as_json:
        print_json(info)
        return
    stdout.print(f"account {info['address']}")  # whole, on one line, to copy
    stdout.print(render_account(info))
    for candidate in info["votes"]:
        stdout.print(f"votes for {candidate}")


def render_account(info: dict[str, Any]) -> Table:
    """The account's amounts as a two-column table (addresses are printed around it, whole)."""
    table = Table(title=f"account at height {info['height']:,}", show_header=False)
    unbonding = [f"{e['amount']:,} free at {e['release_height']:,}" for e in info["unbonding"]]
    rows = [
        ("balance", f"{info['balance']:,}"),
        ("bonded", f"{info['bonded']:,}"),
        ("unbonding", "; ".join(unbonding) or "none"),
        ("nonce", f"{info['nonce']} (next {info['next_nonce']})"),
        ("candidates voted for", str(len(info["votes"]))),
    ]
    earned = info.get("earned")
    if earned:
        rows.append(
            (
                "delta rewards",
                f"{earned['delta_rewards']:,} for "
                f"{earned['deltas_accepted']:,} of {earned['deltas_counted']:,} deltas",
            )
        )
        rows.append(
            (
                "blocks proposed",
                f"{earned['blocks_proposed']:,} (block rewards "
                f"{earned['block_rewards']:,} plus fees)",
            )
        )
    for name, value in rows:
        table.add_row(name, value)
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.command(epilog=EXIT_CODES_HELP)(account)
