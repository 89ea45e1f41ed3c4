"""Compose clusters: structure, homes on disk, docker-compose's own validation of every file."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from node.ops.config import load_config
from node.scenario.compose import (
    COMPOSE_FILE,
    CONTAINER_HOME,
    NODES_DIR,
    ClusterOptions,
    build_compose,
    write_compose,
)
from node.scenario.compose_init import (
    CLUSTER_DIR,
    build_init_compose,
    describe_init,
    existing_cluster,
)
from node.scenario.compose_service import (
    API_PORT,
    ENV_FILE,
    NETWORK,
    TOKEN_FILE,
    ComposeError,
    node_ip,
)
from node.scenario.errors import ManifestError
from node.scenario.materialize import LAYOUT_FILE
from node.scenario.parse import load_manifest
from node.scenario.yamltext import dump_yaml
from tests.node.scenario.test_compose_yaml import REPO, SCENARIOS, compose_config, read_yaml

BASELINE = REPO / "configs" / "scenarios" / "baseline-4.toml"
ROOT_FILE = REPO / "docker-compose.yml"


def _services(path: Path) -> dict[str, Any]:
    services: dict[str, Any] = read_yaml(path.read_text())["services"]
    return services


def test_write_compose_lays_out_baseline_cluster(tmp_path: Path) -> None:
    manifest = load_manifest(BASELINE)
    path = write_compose(manifest, tmp_path / "c")
    assert path == tmp_path / "c" / COMPOSE_FILE
    services = _services(path)
    assert list(services) == ["v0", "v1", "v2", "v3"]
    raw = [s["networks"][NETWORK]["ipv4_address"] for s in services.values()]
    assert raw == [f"${{DELTACHAIN_NET:-172.28.0}}.{10 + i}" for i in range(4)]
    ips = [ip.replace("${DELTACHAIN_NET:-172.28.0}", "172.28.0") for ip in raw]
    ports = [s["ports"] for s in services.values()]
    host = "${DELTACHAIN_API_HOST:-127.0.0.1}"
    assert ports == [
        [f"{host}:${{DELTACHAIN_API_PORT_V{i}:-{8600 + i}}}:{API_PORT}"] for i in range(4)
    ]
    token = (tmp_path / "c" / TOKEN_FILE).read_text().strip()
    assert len(token) == 32
    for (name, service), own in zip(services.items(), ips, strict=True):
        assert service["command"] == ["start", "--home", CONTAINER_HOME]
        assert service["healthcheck"]["test"][:3] == ["CMD", "python", "-c"]
        assert f":{API_PORT}/status" in service["healthcheck"]["test"][3]
        assert service["restart"] == "unless-stopped"
        assert "profiles" not in service
        source, target = service["volumes"][0].split(":")
        assert target == CONTAINER_HOME
        home = tmp_path / "c" / source
        assert home == tmp_path / "c" / NODES_DIR / name and home.is_dir()
        config = load_config(home)  # the node accepts it: 0.0.0.0 with a token
        assert config.api.host == "0.0.0.0" and config.api.token == token
        assert config.p2p.listen == "/ip4/0.0.0.0/tcp/26656"
        assert config.p2p.external_address == f"/ip4/{own}/tcp/26656"
        peers = [a.split("/")[2] for a in config.p2p.bootstrap]
        assert sorted([*peers, own]) == sorted(ips)
    env = _env(tmp_path / "c")
    assert env["DELTACHAIN_NET"] == "172.28.0" and env["DELTACHAIN_API_PORT_V3"] == "8603"
    assert env["DELTACHAIN_UID"] != "0" and env["DELTACHAIN_GID"] != "0"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_generated_files_pass_docker_compose_config(tmp_path: Path, scenario: Path) -> None:
    manifest = load_manifest(scenario)
    path = write_compose(manifest, tmp_path / manifest.name)
    done = compose_config(path)
    assert done.returncode == 0, done.stderr
    config = read_yaml(done.stdout)  # compose's own reading of the file
    services = config["services"]
    assert len(services) == len(manifest.nodes)
    ips = [s["networks"][NETWORK]["ipv4_address"] for s in services.values()]
    assert len(set(ips)) == len(ips)
    network = ipaddress.IPv4Network(config["networks"][NETWORK]["ipam"]["config"][0]["subnet"])
    assert all(ipaddress.IPv4Address(ip) in network for ip in ips)
    host_ports = [_published(p) for s in services.values() for p in s["ports"]]
    assert len(set(host_ports)) == len(manifest.nodes)
    for service in services.values():
        source = Path(_source(service["volumes"][0]))
        assert source.is_absolute()
        assert (source / "config.toml").is_file() and (source / "node_key.json").is_file()
        assert service["user"] == "{}:{}".format(*_env_ids(tmp_path / manifest.name))


def _published(port: str | dict[str, Any]) -> str:
    """1.29 writes "127.0.0.1:8600:8545/tcp", 2.x a mapping."""
    return str(port["published"]) if isinstance(port, dict) else port.split(":")[1]


def _source(volume: str | dict[str, Any]) -> str:
    """1.29 writes "SOURCE:TARGET:rw", 2.x a mapping."""
    return str(volume["source"]) if isinstance(volume, dict) else volume.split(":")[0]


def _env(out: Path) -> dict[str, str]:
    lines = (out / ENV_FILE).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _env_ids(out: Path) -> tuple[str, str]:
    values = _env(out)
    return values["DELTACHAIN_UID"], values["DELTACHAIN_GID"]


def test_root_file_passes_docker_compose_config() -> None:
    done = compose_config(ROOT_FILE, quiet=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_root_file_is_the_init_form_of_baseline() -> None:
    manifest = load_manifest(BASELINE)
    data = build_init_compose(manifest, "baseline-4", ClusterOptions())
    expected = dump_yaml(data, comments=describe_init(manifest))
    assert ROOT_FILE.read_text() == expected, (
        "regenerate: deltachain sim compose configs/scenarios/baseline-4.toml "
        "--print-init-form > docker-compose.yml"
    )


def test_root_file_matches_write_compose_addressing() -> None:
    manifest = load_manifest(BASELINE)
    root = _services(ROOT_FILE)
    bind = build_compose(manifest, ClusterOptions())["services"]
    init = root.pop("init")
    assert init["volumes"] == [f"cluster:{CLUSTER_DIR}"]
    assert init["healthcheck"] == {"disable": True}
    assert list(root) == list(bind)
    for name, service in root.items():
        assert service["networks"] == bind[name]["networks"]
        assert service["ports"] == bind[name]["ports"]
        assert service["healthcheck"] == bind[name]["healthcheck"]
        assert service["command"] == ["start", "--home", f"{CLUSTER_DIR}/{NODES_DIR}/{name}"]
        assert service["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
    assert [s["ports"][0].split("}:", 1)[1] for s in root.values()] == [
        f"${{DELTACHAIN_API_PORT_V{i}:-{8600 + i}}}:{API_PORT}" for i in range(4)
    ]


def test_late_joiners_sit_behind_a_profile(tmp_path: Path) -> None:
    manifest = load_manifest(REPO / "configs" / "scenarios" / "join-late.toml")
    path = write_compose(manifest, tmp_path / "late")
    services = _services(path)
    assert services["joiner"]["profiles"] == ["late"]
    assert all("profiles" not in s for n, s in services.items() if n != "joiner")
    assert "docker compose up -d joiner" in path.read_text()


def test_unapplied_perturbations_and_byzantine_roles_are_documented(tmp_path: Path) -> None:
    churn = load_manifest(REPO / "configs" / "scenarios" / "churn-5.toml")
    text = write_compose(churn, tmp_path / "churn").read_text()
    assert "Not applied by compose" in text
    for p in churn.perturbations:
        assert f"# {p.action.value} {p.node} at {p.at_s:g}s" in text.replace("#   ", "# ")
    partition = load_manifest(REPO / "configs" / "scenarios" / "partition-heal-7.toml")
    assert "# partition " in write_compose(partition, tmp_path / "part").read_text().replace(
        "#   ", "# "
    )
    byzantine = load_manifest(REPO / "configs" / "scenarios" / "byzantine-7.toml")
    text = write_compose(byzantine, tmp_path / "byz").read_text()
    assert "double (double_signer)" in text
    config = tomllib.loads((tmp_path / "byz" / NODES_DIR / "double" / "config.toml").read_text())
    assert config["byzantine"]["role"] == "double_signer"


def test_write_compose_refuses_bad_inputs_before_writing(tmp_path: Path) -> None:
    manifest = load_manifest(REPO / "configs" / "scenarios" / "poisoning-10.toml")
    with pytest.raises(ComposeError, match="no address for node"):
        write_compose(manifest, tmp_path / "small", ClusterOptions(subnet="10.1.0.0/28"))
    with pytest.raises(ComposeError, match="not an IPv4 network"):
        write_compose(manifest, tmp_path / "bad", ClusterOptions(subnet="fd00::/64"))
    with pytest.raises(ComposeError, match="larger than a /24"):
        write_compose(manifest, tmp_path / "big", ClusterOptions(subnet="10.1.0.0/16"))
    with pytest.raises(ComposeError, match="not all TCP ports"):
        write_compose(manifest, tmp_path / "ports", ClusterOptions(host_api_base=65_530))
    assert not any(tmp_path.iterdir())
    write_compose(manifest, tmp_path / "once")
    with pytest.raises(ComposeError, match="exists"):
        write_compose(manifest, tmp_path / "once")


def test_write_compose_refuses_a_non_empty_nodes_dir(tmp_path: Path) -> None:
    (tmp_path / "c" / NODES_DIR).mkdir(parents=True)
    (tmp_path / "c" / NODES_DIR / "keep").write_text("mine")
    with pytest.raises(ManifestError, match="not empty"):
        write_compose(load_manifest(BASELINE), tmp_path / "c")
    assert (tmp_path / "c" / NODES_DIR / "keep").read_text() == "mine"


def test_node_ip_counts_from_the_tenth_address() -> None:
    assert node_ip("10.9.0.0/24", 0) == "10.9.0.10"
    assert node_ip("10.9.0.0/24", 244) == "10.9.0.254"
    with pytest.raises(ComposeError):
        node_ip("10.9.0.0/24", 245)  # the broadcast address


def test_existing_cluster_knows_its_scenario(tmp_path: Path) -> None:
    manifest = load_manifest(BASELINE)
    subnet = "172.28.0.0/24"
    assert not existing_cluster(manifest, tmp_path, subnet)
    write_compose(manifest, tmp_path)
    assert existing_cluster(manifest, tmp_path, subnet)
    with pytest.raises(ComposeError, match="set DELTACHAIN_NET back"):
        existing_cluster(manifest, tmp_path, "10.5.5.0/24")
    other = load_manifest(REPO / "configs" / "scenarios" / "join-late.toml")
    with pytest.raises(ComposeError, match="holds scenario 'baseline-4'"):
        existing_cluster(other, tmp_path, subnet)
    (tmp_path / NODES_DIR / LAYOUT_FILE).write_text(json.dumps({"nodes": []}))
    with pytest.raises(ComposeError, match="unreadable"):
        existing_cluster(manifest, tmp_path, subnet)
