"""``deltachain app new | build | inspect`` and ``data split`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from node.cli.common import ExitCode
from node.cli.main import app
from node.storage.blobs import BlobStore

runner = CliRunner()


def test_app_new_build_inspect(tmp_path: Path) -> None:
    made = runner.invoke(app, ["app", "new", str(tmp_path / "churn")])
    assert made.exit_code == 0, made.output
    built = runner.invoke(
        app,
        ["app", "build", str(tmp_path / "churn"), "--out", str(tmp_path / "a.zip"), "--json"],
    )
    assert built.exit_code == 0, built.output
    info = json.loads(built.stdout)
    assert info["name"] == "churn" and len(info["app_hash"]) == 64
    assert [t["name"] for t in info["layout"]] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert info["num_params"] == 4 * 32 + 32 + 32 * 3 + 3
    again = runner.invoke(
        app,
        ["app", "build", str(tmp_path / "churn"), "--out", str(tmp_path / "b.zip"), "--json"],
    )
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert json.loads(again.stdout)["app_hash"] == info["app_hash"]
    wider = runner.invoke(
        app,
        ["app", "build", str(tmp_path / "churn"), "--out", str(tmp_path / "c.zip"), "--json",
         "--config", "num_features=7"],
    )  # fmt: skip
    assert json.loads(wider.stdout)["layout_hash"] != info["layout_hash"]
    shown = runner.invoke(app, ["app", "inspect", str(tmp_path / "a.zip"), "--json"])
    assert shown.exit_code == 0, shown.output
    listed = json.loads(shown.stdout)
    assert [f["name"] for f in listed["files"]] == ["app.py", "app.toml"]
    assert "layout" not in listed  # inspecting runs no app code unless asked
    table = runner.invoke(app, ["app", "inspect", str(tmp_path / "a.zip"), "--layout"])
    assert info["app_hash"] in table.stdout.replace("\n", "").replace("│", "").replace(" ", "")


def test_app_inspect_by_hash_from_a_node_home(tmp_path: Path) -> None:
    built = runner.invoke(
        app, ["app", "build", "tabular-mlp", "--out", str(tmp_path / "t.zip"), "--json"]
    )
    assert built.exit_code == 0, built.output
    digest = BlobStore(tmp_path / "home" / "data" / "blobs").put((tmp_path / "t.zip").read_bytes())
    shown = runner.invoke(app, ["app", "inspect", digest.hex(), "--home", str(tmp_path / "home")])
    assert shown.exit_code == 0, shown.output
    assert "tabular-mlp" in shown.stdout


def test_app_commands_fail_with_one_line(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["app", "inspect", str(tmp_path / "nope")])
    assert missing.exit_code == ExitCode.CONFIG
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    bad = runner.invoke(app, ["app", "inspect", str(tmp_path / "bad.zip")])
    assert bad.exit_code == ExitCode.CONFIG and "not a zip" in bad.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    taken = runner.invoke(app, ["app", "new", str(tmp_path / "full")])
    assert taken.exit_code == ExitCode.USAGE and "not empty" in taken.output
    pair = runner.invoke(
        app, ["app", "build", "tabular-mlp", "--out", str(tmp_path / "o"), "--config", "x"]
    )
    assert pair.exit_code == ExitCode.USAGE


def test_data_split_writes_per_node_folders(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i % 2}" for i in range(40))
    (tmp_path / "all.csv").write_text(f"x,label\n{rows}\n")
    result = runner.invoke(
        app,
        ["data", "split", str(tmp_path / "all.csv"), "--out", str(tmp_path / "out"),
         "--nodes", "4", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.stdout)["nodes"]
    assert [n["samples"] for n in nodes] == [10, 10, 10, 10]
    assert all((tmp_path / "out" / f"node{i}" / "data.csv").exists() for i in range(4))
    bad = runner.invoke(
        app,
        ["data", "split", str(tmp_path / "all.csv"), "--out", str(tmp_path / "o2"),
         "--nodes", "2", "--label", "y"],
    )  # fmt: skip
    assert bad.exit_code == ExitCode.USAGE and "no label column 'y'" in bad.output
