"""``sim compose --per-host``: one directory per host, host networking, announced addresses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.ops.config import load_config
from node.scenario.compose import ClusterOptions
from node.scenario.compose_hosts import parse_hosts, write_per_host
from node.scenario.compose_service import ComposeError
from node.scenario.parse import load_manifest
from tests.node.scenario.test_compose_yaml import REPO, compose_config, read_yaml

BASELINE = REPO / "configs" / "scenarios" / "baseline-4.toml"
HOSTS = "v0=10.0.0.1,v1=10.0.0.2,v2=10.0.0.3,v3=10.0.0.4"


def test_per_host_directories_announce_host_addresses(tmp_path: Path) -> None:
    manifest = load_manifest(BASELINE)
    paths = write_per_host(manifest, tmp_path, parse_hosts(HOSTS, manifest), ClusterOptions(), 1)
    assert [p.parent.name for p in paths] == ["v0", "v1", "v2", "v3"]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["layout.json", "v0", "v1", "v2", "v3"]
    config = load_config(tmp_path / "v2" / "home")
    assert config.p2p.listen == "/ip4/0.0.0.0/tcp/26656"
    assert config.p2p.external_address == "/ip4/10.0.0.3/tcp/26656"
    assert config.api.host == "127.0.0.1" and config.api.port == 8545
    hosts = sorted(a.split("/")[2] for a in config.p2p.bootstrap)
    assert hosts == ["10.0.0.1", "10.0.0.2", "10.0.0.4"]
    done = compose_config(paths[2])
    assert done.returncode == 0, done.stderr
    service = read_yaml(done.stdout)["services"]["v2"]
    assert service["network_mode"] == "host" and "ports" not in service
    if os.getuid() == 0:
        assert service["user"] == "1000:1000"
        assert (tmp_path / "v2" / "home" / "config.toml").stat().st_uid == 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v0=10.0.0.1,v1=10.0.0.2,v2=10.0.0.3", "every node once"),
        (HOSTS + ",v0=10.0.0.9", "repeats"),
        ("v0=10.0.0.1,v1=10.0.0.1,v2=10.0.0.3,v3=10.0.0.4", "one node per host"),
        ("v0=host-a,v1=10.0.0.2,v2=10.0.0.3,v3=10.0.0.4", "not NODE=IPv4"),
    ],
)
def test_parse_hosts_refuses_incomplete_maps(text: str, message: str) -> None:
    with pytest.raises(ComposeError, match=message):
        parse_hosts(text, load_manifest(BASELINE))


def test_sim_compose_per_host_cli(tmp_path: Path) -> None:
    args = ["sim", "compose", "baseline-4", "--per-host", "--hosts", HOSTS]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "v3" / "docker-compose.yml").is_file()
    again = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert again.exit_code == 2 and "not empty" in again.output
