"""The CLI as a newcomer meets it: ``keys show|new``, ``account ADDRESS``, ``status`` as a table
on stdout, ``model show --limit``, ``testnet create`` refusing bad options at once, the end of
``testnet up`` as tables, and times written for people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.common import ExitCode
from node.cli.humane import format_ago, format_time_ms
from node.cli.main import app
from node.cli.testnet_summary import render_figures, render_nodes
from node.ops.keys import create_key_file
from tests.node.api.cluster import KEYS, ServedNode

runner = CliRunner()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with ServedNode(tmp_path_factory.mktemp("served")) as node:
        yield node


def test_keys_new_then_show_print_the_full_address(tmp_path: Path) -> None:
    made = runner.invoke(app, ["keys", "new", "--out", str(tmp_path / "k.json"), "--json"])
    assert made.exit_code == 0, made.output
    address = json.loads(made.stdout)["address"]
    assert len(address) == 64
    again = runner.invoke(app, ["keys", "new", "--out", str(tmp_path / "k.json")])
    assert again.exit_code == ExitCode.CONFIG and "already exists" in again.output
    (tmp_path / "home").mkdir()
    create_key_file(tmp_path / "home" / "node_key.json", bytes(32))
    shown = runner.invoke(app, ["keys", "show", "--home", str(tmp_path / "home")])
    assert shown.exit_code == 0 and shown.stdout.startswith("address  ")
    assert len(shown.stdout.split()[1]) == 64 and "12D3Koo" in shown.stdout
    assert runner.invoke(app, ["keys", "show"]).exit_code == ExitCode.USAGE


def test_account_shows_balances_and_earnings_of_a_running_node(served: ServedNode) -> None:
    address = KEYS[0].address.hex()
    result = runner.invoke(app, ["account", address, "--api", served.url])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"account {address}\n")
    assert f"votes for {address}" in result.stdout
    for text in ("balance", "bonded", "blocks proposed"):
        assert text in result.stdout
    as_json = json.loads(
        runner.invoke(app, ["account", address, "--api", served.url, "--json"]).stdout
    )
    assert as_json["earned"]["blocks_proposed"] >= 1
    bad = runner.invoke(app, ["account", "abcd", "--api", served.url])
    assert bad.exit_code == ExitCode.USAGE


def test_status_is_a_table_on_stdout_with_human_times(served: ServedNode) -> None:
    result = runner.invoke(app, ["status", "--api", served.url])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "task 1: version 0" in out and "{" not in out and "ago)" in out
    assert f"address   {KEYS[0].address.hex()}" in out and f"dashboard {served.url}/" in out


def test_testnet_create_refuses_bad_options_before_writing(tmp_path: Path) -> None:
    for option, value, says in (
        ("--partition", "noniid", "iid, dirichlet"),
        ("--alpha", "-3", "above 0"),
        ("--rule", "mean", "fedavg, median"),
        ("--model", "resnet", "mlp-digits"),
    ):
        result = runner.invoke(
            app, ["testnet", "create", "--out", str(tmp_path / "n"), option, value]
        )
        assert result.exit_code == ExitCode.USAGE, (option, result.output)
        assert says in result.output and not (tmp_path / "n").exists()


def test_testnet_summary_tables_have_a_row_per_node() -> None:
    summary = {
        "nodes": 2, "target_accuracy": 0.95, "reached_version": 7, "seconds_to_target": 31.5,
        "accuracy_by_version": [[6, 0.94], [7, 0.951]], "mean_rounds_per_height": 1.0,
        "compared_version": 7, "same_model_hash": True,
        "heights": {"node0": 40, "node1": 39}, "finality_p50_ms": {"node0": 88.0},
        "finality_p99_ms": {"node0": 240.0}, "delta_rewards": {"node0": 7000, "node1": 6000},
        "balance_gain": {"node0": 210000, "node1": 190000},
    }  # fmt: skip
    from io import StringIO

    from rich.console import Console

    buffer = StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    console.print(render_figures(summary))
    console.print(render_nodes(summary))
    text = buffer.getvalue()
    assert "v7 0.951" in text and "{" not in text and "[" not in text
    assert "0.95 " in text and "240 ms" in text  # the target as given, not rounded to 0.9
    row = next(line for line in text.splitlines() if "node1" in line)
    assert "39" in row and "6,000" in row and "190,000" in row


def test_times_are_written_for_people() -> None:
    assert format_ago(1_000, 13_000) == "12 s ago"
    assert format_ago(0, 185_000) == "3 min ago"
    assert format_ago(0, 7_200_000) == "2 h ago"
    assert format_ago(5_000, 1_000).startswith("in the future")
    assert format_time_ms(0, 5) == "-"
    assert format_time_ms(1_700_000_000_000, 1_700_000_012_000).endswith("UTC (12 s ago)")
