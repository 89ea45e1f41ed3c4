"""Compose settings an operator changes in ``.env``; who the nodes run as; shipped manifests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.bundled import find_scenario, list_scenarios
from node.cli.main import app
from node.scenario.compose import NODES_DIR, ClusterOptions, compute_ids, write_compose
from node.scenario.compose_service import NETWORK, ComposeError, parse_subnet, port_var
from node.scenario.parse import load_manifest
from tests.node.scenario.test_compose_yaml import REPO, compose_config, read_yaml

BASELINE = REPO / "configs" / "scenarios" / "baseline-4.toml"


def test_env_moves_the_subnet_and_ports_without_regenerating(tmp_path: Path) -> None:
    env = {"DELTACHAIN_NET": "10.77.1", "DELTACHAIN_API_PORT_V2": "9902"}
    done = compose_config(REPO / "docker-compose.yml", env=env)
    assert done.returncode == 0, done.stderr
    config = read_yaml(done.stdout)
    subnet = config["networks"][NETWORK]["ipam"]["config"][0]["subnet"]
    assert subnet == "10.77.1.0/24"
    services = config["services"]
    assert services["v1"]["networks"][NETWORK]["ipv4_address"] == "10.77.1.11"
    assert "10.77.1.0/24" in services["init"]["command"]
    ports = [str(p) for p in services["v2"]["ports"]]
    assert any("9902" in p for p in ports), ports


def test_generated_env_holds_every_setting(tmp_path: Path) -> None:
    manifest = load_manifest(REPO / "configs" / "scenarios" / "join-late.toml")
    options = ClusterOptions(subnet="10.9.8.0/24", host_api_base=7000)
    write_compose(manifest, tmp_path, options)
    text = (tmp_path / ".env").read_text()
    assert "DELTACHAIN_NET=10.9.8\n" in text and "DELTACHAIN_IMAGE=deltachain:latest\n" in text
    assert f"{port_var('joiner')}=70{len(manifest.nodes) - 1:02d}\n" in text
    done = compose_config(tmp_path / "docker-compose.yml")
    assert done.returncode == 0, done.stderr
    v0 = read_yaml(done.stdout)["services"]["v0"]
    assert v0["networks"][NETWORK]["ipv4_address"] == "10.9.8.10"


def test_parse_subnet_keeps_the_last_octet() -> None:
    subnet = parse_subnet("10.1.2.64/26")
    assert (subnet.prefix, subnet.first, subnet.length) == ("10.1.2", 64, 26)
    assert subnet.host(0) == 74
    with pytest.raises(ComposeError, match="no address"):
        subnet.host(53)


def test_nodes_never_run_as_root_unless_asked(tmp_path: Path) -> None:
    uid, gid = compute_ids(ClusterOptions())
    if os.getuid() == 0:
        assert (uid, gid) == (1000, 1000)
        assert compute_ids(ClusterOptions(uid=0, gid=0)) == (0, 0)
        write_compose(load_manifest(BASELINE), tmp_path)
        home = tmp_path / NODES_DIR / "v0"
        assert (home / "config.toml").stat().st_uid == 1000
        assert (home / "node_key.json").stat().st_gid == 1000
    else:
        assert (uid, gid) == (os.getuid(), os.getgid())
        with pytest.raises(ComposeError, match="only root"):
            compute_ids(ClusterOptions(uid=0))


def test_shipped_scenarios_load_by_name() -> None:
    names = list_scenarios()
    assert "baseline-4" in names and "byzantine-7" in names
    assert find_scenario("baseline-4.toml") == find_scenario("baseline-4")
    assert find_scenario("../baseline-4") is None and find_scenario("nope") is None
    assert load_manifest(Path("baseline-4")) == load_manifest(BASELINE)


def test_init_form_needs_a_shipped_scenario(tmp_path: Path) -> None:
    custom = tmp_path / "mine.toml"
    custom.write_text(BASELINE.read_text().replace("baseline-4", "mine"))
    result = CliRunner().invoke(app, ["sim", "compose", str(custom), "--print-init-form"])
    assert result.exit_code == 2
    assert "shipped in the image" in result.output
