"""``deltachain sim compose`` via CliRunner: files, the init container's steps, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.scenario.compose import COMPOSE_FILE, NODES_DIR
from node.scenario.compose_service import TOKEN_FILE
from node.scenario.materialize import LAYOUT_FILE
from tests.node.scenario.test_compose_yaml import REPO

runner = CliRunner()
BASELINE = "configs/scenarios/baseline-4.toml"


def _layout(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / NODES_DIR / LAYOUT_FILE).read_text())
    return data


def test_sim_compose_writes_cluster_with_seed_and_image(tmp_path: Path) -> None:
    out = tmp_path / "c"
    args = ["sim", "compose", str(REPO / BASELINE), "--out", str(out), "--seed", "9"]
    result = runner.invoke(app, [*args, "--image", "registry.example/dc:1"])
    assert result.exit_code == 0, result.output
    assert "docker compose up -d" in result.output
    text = (out / COMPOSE_FILE).read_text()
    assert text.count('image: "${DELTACHAIN_IMAGE:-registry.example/dc:1}"') == 4
    assert "(seed 9)" in text
    assert _layout(out)["seed"] == 9


def test_init_steps_write_homes_once_and_keep_them(tmp_path: Path) -> None:
    out = tmp_path / "cluster"
    args = ["sim", "compose", str(REPO / BASELINE), "--out", str(out), "--homes-only"]
    first = runner.invoke(app, [*args, "--keep-existing"])
    assert first.exit_code == 0, first.output
    assert not (out / COMPOSE_FILE).exists()
    token = (out / TOKEN_FILE).read_text()
    layout = _layout(out)
    again = runner.invoke(app, [*args, "--keep-existing"])
    assert again.exit_code == 0, again.output
    assert "left as they are" in again.output
    assert (out / TOKEN_FILE).read_text() == token and _layout(out) == layout
    refused = runner.invoke(app, args)  # without --keep-existing: never overwrites
    assert refused.exit_code == 2
    assert "not empty" in refused.output


def test_init_homes_match_write_compose_keys(tmp_path: Path) -> None:
    manifest = str(REPO / BASELINE)
    homes = runner.invoke(app, ["sim", "compose", manifest, "--out", str(tmp_path / "a"),
                                "--homes-only"])  # fmt: skip
    full = runner.invoke(app, ["sim", "compose", manifest, "--out", str(tmp_path / "b")])
    assert homes.exit_code == 0 and full.exit_code == 0, homes.output + full.output
    strip = ("home",)
    nodes_a = [{k: v for k, v in n.items() if k not in strip} for n in _nodes(tmp_path / "a")]
    nodes_b = [{k: v for k, v in n.items() if k not in strip} for n in _nodes(tmp_path / "b")]
    assert nodes_a == nodes_b
    assert nodes_a[0]["p2p_addr"].startswith("/ip4/172.28.0.10/tcp/26656/p2p/")


def _nodes(out: Path) -> list[dict[str, str]]:
    nodes: list[dict[str, str]] = json.loads((out / NODES_DIR / LAYOUT_FILE).read_text())["nodes"]
    return nodes


def test_print_init_form_is_the_root_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the init service names the manifest relative to /app
    result = runner.invoke(app, ["sim", "compose", BASELINE, "--print-init-form"])
    assert result.exit_code == 0, result.output
    assert result.output == (REPO / "docker-compose.yml").read_text()


def test_sim_compose_bad_or_missing_manifest_exits_3_like_sim_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nbogus = 1\n')
    for manifest in (bad, tmp_path / "none.toml"):
        for command in ("compose", "run"):
            args = ["sim", command, str(manifest), "--out", str(tmp_path / "o1")]
            result = runner.invoke(app, args if command == "compose" else args[:3])
            assert result.exit_code == 3, (command, manifest, result.output)
            assert "Traceback" not in result.output and "error" in result.output
    assert not (tmp_path / "o1").exists()


def test_sim_compose_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        ["sim", "compose", str(REPO / BASELINE)],
        ["sim", "compose", str(REPO / BASELINE), "--out", str(tmp_path / "o2"), "--keep-existing"],
        ["sim", "compose", str(REPO / BASELINE), "--out", str(tmp_path / "o3"), "--subnet", "x"],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "o3").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["sim", "compose", str(REPO / BASELINE), "--out", str(blocker)])
    assert result.exit_code == 2 and "error:" in result.output
    assert blocker.read_text() == "x"
