"""``deltachain tx ...``: sign a transaction with the node's key and submit it to a node's API.

The nonce comes from ``GET /accounts/{address}`` (``next_nonce`` counts the node's mempool), the
default fee from ``GET /params``; ``--wait`` polls ``GET /txs/{hash}`` until the transaction is in
a final block.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from consensus.crypto import KeyPair
from consensus.transactions import (
    Bond,
    RegisterCandidate,
    SignedTransaction,
    Transaction,
    Transfer,
    TxBody,
    Unbond,
    VoteCandidates,
)
from node.api.client import ApiClient
from node.api.errors import ApiError, NotFoundError
from node.cli.common import EXIT_CODES_HELP, ExitCode, fail, print_json, report, resolve_api
from node.errors import ConfigError

tx_app = typer.Typer(
    help="Sign transactions with <home>/node_key.json and submit them.",
    no_args_is_help=True,
    epilog=EXIT_CODES_HELP,
)

MAX_U64 = 2**64 - 1
HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Node home: signing key, and API of a running node.")
]
ApiOpt = Annotated[str | None, typer.Option("--api", help="Node API URL (default: from --home).")]
TokenOpt = Annotated[
    str, typer.Option("--token", envvar="DELTACHAIN_API_TOKEN", help="API bearer token.")
]
FeeOpt = Annotated[
    int | None, typer.Option("--fee", min=0, max=MAX_U64, help="Fee (default: chain min fee).")
]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Wait until the tx is in a final block.")]
WaitTimeoutOpt = Annotated[float, typer.Option("--wait-timeout", min=0.1, help="Seconds.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AmountOpt = Annotated[int, typer.Option("--amount", min=1, max=MAX_U64, help="Amount.")]


@dataclass(frozen=True)
class TxOptions:
    """The options every ``tx`` command takes."""

    home: Path | None
    api: str | None
    token: str
    fee: int | None
    wait: bool
    wait_timeout_s: float
    as_json: bool


def connect(home: Path | None, api: str | None, token: str = "") -> ApiClient:
    """A client for ``--api`` or the running node in ``--home``; exits on a bad URL."""
    url = resolve_api(home, api)
    try:
        return ApiClient(url, token)
    except ApiError as exc:  # the only failure here: a malformed URL
        fail(exc.message, ExitCode.USAGE)


def fail_api(error: ApiError) -> NoReturn:
    """Exit with the code documented for an API failure."""
    if error.status == 404:
        fail(str(error), ExitCode.FAILURE)
    if error.status == 400:
        fail(str(error), ExitCode.USAGE)
    if error.status == 0:
        fail(f"node API unavailable: {error}", ExitCode.UNAVAILABLE)
    fail(str(error), ExitCode.UNAVAILABLE)


def parse_address(text: str, option: str) -> bytes:
    """An account address from 64 hex digits (``0x`` allowed); exit 2 otherwise."""
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        address = bytes.fromhex(digits)
    except ValueError:
        address = b""
    if len(address) != 32 or len(digits) != 64:
        fail(f"{option} must be an address of 64 hex digits, got {text!r}", ExitCode.USAGE)
    return address


def send(options: TxOptions, body: TxBody) -> dict[str, Any]:
    """Sign ``body`` with the home's key, submit it, wait if asked, print and return the result."""
    from node.ops.keys import load_key_file

    if options.home is None:
        fail("give --home: the signing key is <home>/node_key.json", ExitCode.USAGE)
    try:
        key = load_key_file(options.home / "node_key.json")
    except ConfigError as exc:
        report(exc)
    client = connect(options.home, options.api, options.token)
    try:
        stx = _sign(client, key, options.fee, body)
        tx_hash = client.submit_tx(stx)
        result: dict[str, Any] = {"hash": tx_hash, "kind": type(body).__name__}
        result |= {"sender": key.address.hex(), "nonce": stx.tx.nonce, "fee": stx.tx.fee}
        if options.wait:
            result["height"] = wait_final(client, tx_hash, options.wait_timeout_s)
    except ApiError as exc:
        fail_api(exc)
    except (KeyError, TypeError, ValueError) as exc:
        fail(f"unexpected reply from the node: {exc!r}", ExitCode.UNAVAILABLE)
    _print_result(result, options.as_json)
    return result


def _sign(client: ApiClient, key: KeyPair, fee: int | None, body: TxBody) -> SignedTransaction:
    params = client.get("/params")
    account = client.get(f"/accounts/{key.address.hex()}")
    chosen_fee = fee if fee is not None else int(params["params"]["min_fee"])
    tx = Transaction(params["chain_id"], key.address, int(account["next_nonce"]), chosen_fee, body)
    return SignedTransaction(tx, key.sign(tx.sign_bytes()))


def wait_final(client: ApiClient, tx_hash: str, timeout_s: float) -> int:
    """The height of the final block holding ``tx_hash``; exit 1 after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return int(client.get(f"/txs/{tx_hash}")["height"])
        except NotFoundError:
            if time.monotonic() >= deadline:
                fail(f"transaction {tx_hash} is not final after {timeout_s:g} s", ExitCode.FAILURE)
            time.sleep(0.2)


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    typer.echo(f"submitted {result['kind']} {result['hash']} (nonce {result['nonce']})")
    if "height" in result:
        typer.echo(f"final at height {result['height']}")


def _options(
    home: Path | None,
    api: str | None,
    token: str,
    fee: int | None,
    wait: bool,
    wait_timeout: float,
    as_json: bool,
) -> TxOptions:
    return TxOptions(home, api, token, fee, wait, wait_timeout, as_json)


@tx_app.command(epilog=EXIT_CODES_HELP)
def transfer(
    to: Annotated[str, typer.Option("--to", help="Recipient address (64 hex digits).")],
    amount: AmountOpt,
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Send AMOUNT to an address."""
    body = Transfer(parse_address(to, "--to"), amount)
    send(_options(home, api, token, fee, wait, wait_timeout, as_json), body)


@tx_app.command(epilog=EXIT_CODES_HELP)
def bond(
    amount: AmountOpt,
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Bond AMOUNT of the balance as stake (it backs the candidates you vote for)."""
    send(_options(home, api, token, fee, wait, wait_timeout, as_json), Bond(amount))


@tx_app.command(epilog=EXIT_CODES_HELP)
def unbond(
    amount: AmountOpt,
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Start unbonding AMOUNT of stake (released after the unbonding period)."""
    send(_options(home, api, token, fee, wait, wait_timeout, as_json), Unbond(amount))


@tx_app.command(epilog=EXIT_CODES_HELP)
def register(
    moniker: Annotated[str, typer.Option("--moniker", help="Candidate name.")],
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Register the key's account as a validator candidate."""
    body = RegisterCandidate(moniker)
    send(_options(home, api, token, fee, wait, wait_timeout, as_json), body)


@tx_app.command(epilog=EXIT_CODES_HELP)
def vote(
    candidate: Annotated[
        list[str], typer.Option("--candidate", help="Candidate address (repeatable).")
    ],
    home: HomeOpt = None,
    api: ApiOpt = None,
    token: TokenOpt = "",
    fee: FeeOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Vote for candidates: your bonded stake backs each of them (replaces earlier votes)."""
    body = VoteCandidates(tuple(parse_address(c, "--candidate") for c in candidate))
    send(_options(home, api, token, fee, wait, wait_timeout, as_json), body)
