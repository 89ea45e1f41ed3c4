"""Exit codes as ``docs/cli.md`` and ``--help`` state them: an unknown aggregation rule or a bad
rule parameter is a usage error (2) everywhere it is given on the command line; a missing,
unreadable or inconsistent scenario manifest (an unknown rule inside it included) is a config
error (3) for ``sim run`` and ``sim compose`` alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.common import ExitCode
from node.cli.main import app

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()
RULES = "fedavg, median, trimmed_mean, krum, multi_krum"
TASK = ["--min-deltas", "1", "--max-staleness", "2", "--clip-norm", "10",
        "--reward-per-delta", "1", "--reward-pool", "10"]  # fmt: skip


def _one_line(output: str) -> str:
    return " ".join(output.split())


@pytest.mark.parametrize(
    "args",
    [
        ["tx", "create-task", "--model", "mlp-digits", "--rule", "mean", *TASK],
        ["task", "create", "--app", "digits-mlp", "--min-deltas", "1", "--rule", "mean"],
        ["testnet", "create", "--out", "NET", "--rule", "mean"],
    ],
)
def test_unknown_rule_exits_2_and_lists_the_rules(tmp_path: Path, args: list[str]) -> None:
    args = [a.replace("NET", str(tmp_path / "net")) for a in args]
    result = runner.invoke(app, [*args, "--home", str(tmp_path)] if args[0] != "testnet" else args)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert RULES in _one_line(result.output) and "Traceback" not in result.output
    assert not (tmp_path / "net").exists()


def test_bad_rule_parameter_of_task_create_exits_2(tmp_path: Path) -> None:
    args = ["task", "create", "--app", "digits-mlp", "--min-deltas", "1", "--rule", "median"]
    result = runner.invoke(app, [*args, "--param", "zz=1", "--home", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "zz" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["run", "compose"])
def test_manifest_missing_or_with_an_unknown_rule_exits_3(tmp_path: Path, command: str) -> None:
    text = (REPO / "configs" / "scenarios" / "baseline-4.toml").read_text()
    bad_rule = tmp_path / "bad-rule.toml"
    bad_rule.write_text(re.sub(r'(?m)^rule = ".*"$', 'rule = "mean"', text))
    assert 'rule = "mean"' in bad_rule.read_text()
    for manifest, says in ((tmp_path / "none.toml", "not found"), (bad_rule, "unknown rule")):
        extra = ["--out", str(tmp_path / "out")] if command == "compose" else ["--simulate"]
        result = runner.invoke(app, ["sim", command, str(manifest), *extra])
        assert result.exit_code == ExitCode.CONFIG, (manifest, result.output)
        assert says in result.output
    assert not (tmp_path / "out").exists()


def test_help_and_docs_state_the_same_codes() -> None:
    docs = _one_line((REPO / "docs" / "cli.md").read_text())
    run_help = _one_line(runner.invoke(app, ["sim", "run", "--help"], terminal_width=200).output)
    compose_help = _one_line(
        runner.invoke(app, ["sim", "compose", "--help"], terminal_width=200).output
    )
    assert "3 the manifest is unreadable or inconsistent" in run_help
    assert "3 the manifest is missing, unreadable or inconsistent" in compose_help
    assert "2 bad arguments" in run_help and "2 bad arguments" in compose_help
    assert "`sim compose` exits 0 when it wrote the cluster, 2" in docs
    assert "3 for a missing, unreadable or inconsistent manifest" in docs
    assert "unknown rule or model" in docs  # the usage row of the exit-code table
    task_help = _one_line(runner.invoke(app, ["task", "create", "--help"]).output)
    assert "2 usage" in task_help and "3 config" in task_help


def test_testnet_create_split_data_through_the_cli(tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text("a,b,segment\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(40)))
    net = tmp_path / "net"
    base = ["testnet", "create", "--out", str(net), "--validators", "2"]
    without_app = runner.invoke(app, [*base, "--split-data", str(source)])
    assert without_app.exit_code == ExitCode.USAGE and "needs --app" in without_app.output
    app_args = ["--app", "tabular-mlp", "--config", "num_features=2", "--config", "num_classes=2"]
    result = runner.invoke(
        app, [*base, *app_args, "--split-data", str(source), "--label", "segment"]
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert sorted(p.name for p in (net / "split-data").iterdir()) == ["node0", "node1"]
