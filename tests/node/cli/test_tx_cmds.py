"""``deltachain tx ...`` through typer's CliRunner against a running node on a real socket."""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from ml.models import init_weights
from ml.snapshot import compute_model_hash, encode_weights
from node.api import ApiClient
from node.cli.common import ExitCode
from node.cli.main import app
from node.cli.model_cmds import parse_rule_params
from node.cli.tx_cmds import parse_address
from node.ops.keys import create_key_file
from tests.node.api.cluster import KEYS, USER, ServedNode

runner = CliRunner()
RECIPIENT = KEYS[1].address.hex()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with ServedNode(tmp_path_factory.mktemp("served")) as node:
        yield node


@pytest.fixture(scope="module")
def home(served: ServedNode, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLI home holding USER's key and the served node's api.json."""
    home = tmp_path_factory.mktemp("user")
    create_key_file(home / "node_key.json", USER.seed)
    (home / "data").mkdir()
    (home / "data" / "api.json").write_text(json.dumps({"api": served.url}))
    return home


def tx(home: Path, *args: str) -> Result:
    return runner.invoke(app, ["tx", *args, "--home", str(home)])


def tx_json(home: Path, *args: str) -> dict[str, Any]:
    result = tx(home, *args, "--wait", "--json", "--wait-timeout", "30")
    assert result.exit_code == ExitCode.OK, result.output
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def account(served: ServedNode, address: bytes) -> dict[str, Any]:
    return ApiClient(served.url).get(f"/accounts/{address.hex()}")


def test_tx_transfer_waits_until_final_and_moves_the_amount(served: ServedNode, home: Path) -> None:
    before = account(served, KEYS[1].address)["balance"]
    result = tx_json(home, "transfer", "--to", RECIPIENT, "--amount", "777")
    assert result["kind"] == "Transfer" and result["sender"] == USER.address.hex()
    assert result["fee"] == 1 and result["height"] >= 1
    assert account(served, KEYS[1].address)["balance"] == before + 777
    found = ApiClient(served.url).get(f"/txs/{result['hash']}")
    assert found["height"] == result["height"] and found["tx"]["body"]["amount"] == 777


def test_tx_back_to_back_submissions_take_consecutive_nonces(
    served: ServedNode, home: Path
) -> None:
    first = tx(home, "transfer", "--to", RECIPIENT, "--amount", "1", "--json", "--fee", "3")
    second = tx(home, "transfer", "--to", RECIPIENT, "--amount", "2", "--json")
    assert first.exit_code == second.exit_code == ExitCode.OK, first.output + second.output
    nonces = [json.loads(r.stdout)["nonce"] for r in (first, second)]
    assert nonces[1] == nonces[0] + 1 and json.loads(first.stdout)["fee"] == 3
    text = tx(home, "transfer", "--to", RECIPIENT, "--amount", "3", "--wait")
    assert text.exit_code == ExitCode.OK, text.output
    assert text.stdout.startswith("submitted Transfer ") and "final at height" in text.stdout


def test_tx_staking_register_and_vote(served: ServedNode, home: Path) -> None:
    bonded = account(served, USER.address)["bonded"]
    tx_json(home, "bond", "--amount", "5000")
    assert account(served, USER.address)["bonded"] == bonded + 5000
    tx_json(home, "unbond", "--amount", "1000")
    after = account(served, USER.address)
    assert after["bonded"] == bonded + 4000 and after["unbonding"][0]["amount"] == 1000
    tx_json(home, "register", "--moniker", "cli-candidate")
    candidates = ApiClient(served.url).get("/candidates")["candidates"]
    mine = [c for c in candidates if c["address"] == USER.address.hex()]
    assert mine and mine[0]["moniker"] == "cli-candidate"
    validator = KEYS[0].address.hex()
    tx_json(home, "vote", "--candidate", USER.address.hex(), "--candidate", f"0x{validator}")
    assert account(served, USER.address)["votes"] == sorted([USER.address.hex(), validator])


def test_tx_create_task_uploads_the_snapshot_and_opens_the_task(
    served: ServedNode, home: Path
) -> None:
    args = ["create-task", "--model", "mlp-digits", "--rule", "trimmed_mean", "--param", "beta=0.1"]
    args += ["--min-deltas", "3", "--max-staleness", "2", "--clip-norm", "5"]
    args += ["--reward-per-delta", "10", "--reward-pool", "1000", "--initial-seed", "7"]
    result = tx(home, *args, "--wait")
    assert result.exit_code == ExitCode.OK, result.output
    weights = init_weights("mlp-digits", 7)
    model_hash = compute_model_hash(weights)
    client = ApiClient(served.url)
    assert client.get_bytes(f"/blobs/{model_hash.hex()}") == encode_weights(weights)
    task_id = int(result.stdout.strip().rsplit(" ", 1)[1])
    task = client.get(f"/tasks/{task_id}")
    assert task["spec"]["initial_model_hash"] == model_hash.hex() and task["pool"] == 1000
    assert task["spec"]["aggregation"]["rule"] == "trimmed_mean"
    assert task["spec"]["min_deltas"] == 3 and task["creator"] == USER.address.hex()


def test_tx_create_task_refuses_a_bad_rule_before_submitting(home: Path) -> None:
    base = ["create-task", "--model", "mlp-digits", "--min-deltas", "1", "--max-staleness", "1"]
    base += ["--clip-norm", "1", "--reward-per-delta", "1", "--reward-pool", "1"]
    unknown = tx(home, *base, "--rule", "majority")
    assert unknown.exit_code == ExitCode.USAGE and "--rule must be one of fedavg" in unknown.output
    bad_param = tx(home, *base, "--rule", "fedavg", "--param", "f")
    assert bad_param.exit_code == ExitCode.USAGE and "name=number" in bad_param.output
    clash = tx(home, *base, "--rule", "fedavg", "--param", "min_deltas=9")
    assert clash.exit_code == ExitCode.USAGE and "its own option" in clash.output
    model = tx(home, *base, "--rule", "fedavg", "--model", "gpt-9")
    assert model.exit_code == ExitCode.USAGE and "gpt-9" in model.output


def test_tx_insufficient_funds_is_the_nodes_reason(home: Path) -> None:
    result = tx(home, "transfer", "--to", RECIPIENT, "--amount", str(10**15))
    assert result.exit_code == ExitCode.UNAVAILABLE
    message = " ".join(result.output.split())
    assert "422: transaction refused" in message and "is below fee + amount" in message


@pytest.mark.parametrize("address", ["zz" * 32, "ab" * 31, "0x" + "ab" * 33, ""])
def test_tx_bad_address_is_a_usage_error(home: Path, address: str) -> None:
    result = tx(home, "transfer", "--to", address, "--amount", "1")
    assert result.exit_code == ExitCode.USAGE and "64 hex digits" in result.output
    vote = tx(home, "vote", "--candidate", address)
    assert vote.exit_code == ExitCode.USAGE and "--candidate" in vote.output


def test_tx_unreachable_node_and_missing_key(home: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = tx(home, "bond", "--amount", "1", "--api", f"http://127.0.0.1:{port}")
    assert down.exit_code == ExitCode.UNAVAILABLE and "failed" in down.output
    no_key = runner.invoke(app, ["tx", "bond", "--amount", "1", "--home", str(tmp_path)])
    assert no_key.exit_code == ExitCode.CONFIG and "node_key.json" in no_key.output
    no_home = runner.invoke(app, ["tx", "bond", "--amount", "1", "--api", "http://x:1"])
    assert no_home.exit_code == ExitCode.USAGE and "--home" in no_home.output
    bad_url = tx(home, "bond", "--amount", "1", "--api", "ftp://node")
    assert bad_url.exit_code == ExitCode.USAGE and "http://host:port" in bad_url.output
    zero = tx(home, "bond", "--amount", "0")
    assert zero.exit_code == ExitCode.USAGE


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=70), st.binary(min_size=30, max_size=34).map(bytes.hex)))
def test_tx_parse_address_returns_32_bytes_or_a_usage_exit(text: str) -> None:
    try:
        address = parse_address(text, "--to")
    except typer.Exit as exc:
        assert exc.exit_code == ExitCode.USAGE
    else:
        assert len(address) == 32 and address.hex() == text.lower().removeprefix("0x")


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.text(max_size=12), max_size=4))
def test_tx_parse_rule_params_gives_finite_numbers_or_a_usage_exit(pairs: list[str]) -> None:
    try:
        params = parse_rule_params(pairs)
    except typer.Exit as exc:
        assert exc.exit_code == ExitCode.USAGE
    else:
        assert all(isinstance(v, int | float) and math.isfinite(v) for v in params.values())
        assert not set(params) & {"model_id", "rule", "clip_norm", "min_deltas"}
