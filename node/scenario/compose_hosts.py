"""One compose file per host (``sim compose --per-host``): one node per machine, host networking.

Each node runs on its own host with ``network_mode: host``: p2p binds every interface on
:data:`P2P_PORT` and announces the host's address (``p2p.external_address``), the API binds
127.0.0.1 only. Peers dial each other at the host addresses given. ``out/<node>/`` holds that
host's ``docker-compose.yml``, ``.env`` and the node's home (``home/``); copy it to the host and
``docker compose up -d`` there. ``out/layout.json`` lists every node with its peer id and address.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Any

from node.scenario.compose import ClusterOptions, compute_ids, hand_over
from node.scenario.compose_service import (
    API_PORT,
    ENV_FILE,
    GID_VAR,
    HEALTH_PROBE,
    IMAGE_VAR,
    P2P_PORT,
    RESTART_POLICY,
    UID_VAR,
    ComposeError,
    variable,
)
from node.scenario.manifest import Manifest
from node.scenario.materialize import LAYOUT_FILE, NodeAddress, materialize
from node.scenario.yamltext import dump_yaml

HOME_DIR = "home"
HOMES_STAGING = ".homes"
CONTAINER_HOME = "/home/deltachain/node"
COMPOSE_FILE = "docker-compose.yml"


def parse_hosts(text: str, manifest: Manifest) -> dict[str, str]:
    """``v0=10.0.0.1,v1=10.0.0.2,...``: one IPv4 address for every node of ``manifest``."""
    hosts: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, address = item.partition("=")
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ComposeError(f"--hosts entry {item!r} is not NODE=IPv4") from None
        if not sep or name in hosts:
            raise ComposeError(f"--hosts entry {item!r} is malformed or repeats {name!r}")
        hosts[name] = address
    names = [n.name for n in manifest.nodes]
    if sorted(hosts) != sorted(names):
        raise ComposeError(f"--hosts must name every node once: {', '.join(names)}")
    if len(set(hosts.values())) != len(hosts):
        raise ComposeError("--hosts gives two nodes one address (one node per host)")
    return hosts


def write_per_host(
    manifest: Manifest, out: Path, hosts: dict[str, str], options: ClusterOptions, seed: int | None
) -> list[Path]:
    """Every host's directory under ``out`` (which must be new or empty); their compose files."""
    uid, gid = compute_ids(options)
    names = [n.name for n in manifest.nodes]

    def addressing(i: int) -> NodeAddress:
        return NodeAddress("0.0.0.0", hosts[names[i]], P2P_PORT, API_PORT, api_host="127.0.0.1")

    if out.exists() and any(out.iterdir()):
        raise ComposeError(f"{out} is not empty; choose a new directory")
    staging = out / HOMES_STAGING
    token = secrets.token_hex(16)
    materialize(manifest, staging, addressing, seed=seed, api_token=token)
    (staging / LAYOUT_FILE).rename(out / LAYOUT_FILE)
    paths = []
    for name in names:
        directory = out / name
        directory.mkdir()
        (staging / name).rename(directory / HOME_DIR)
        hand_over(directory / HOME_DIR, uid, gid)
        env = f"{IMAGE_VAR}={options.image}\n{UID_VAR}={uid}\n{GID_VAR}={gid}\n"
        (directory / ENV_FILE).write_text(env, encoding="utf-8")
        text = dump_yaml(host_compose(name, options.image), comments=describe_host(name, hosts))
        (directory / COMPOSE_FILE).write_text(text, encoding="utf-8")
        paths.append(directory / COMPOSE_FILE)
    staging.rmdir()
    return paths


def host_compose(name: str, image: str) -> dict[str, Any]:
    """The one service of a host: host networking, the home next to the file."""
    service = {
        "image": variable(IMAGE_VAR, image),
        "command": ["start", "--home", CONTAINER_HOME],
        "init": True,
        "network_mode": "host",
        "volumes": [f"./{HOME_DIR}:{CONTAINER_HOME}"],
        "user": f"{variable(UID_VAR, 1000)}:{variable(GID_VAR, 1000)}",
        "healthcheck": {
            "test": ["CMD", "python", "-c", HEALTH_PROBE],
            "interval": "10s",
            "timeout": "5s",
            "retries": 6,
            "start_period": "60s",
        },
        "restart": RESTART_POLICY,
        "stop_grace_period": "30s",
    }
    return {"services": {name: service}}


def describe_host(name: str, hosts: dict[str, str]) -> list[str]:
    others = ", ".join(f"{n} {a}" for n, a in hosts.items() if n != name)
    return [
        f"Deltachain node {name!r} for host {hosts[name]}, written by `deltachain sim compose",
        "--per-host`. Copy this directory to that host and run: docker compose up -d",
        f"Host networking: p2p on 0.0.0.0:{P2P_PORT} (open it to the other hosts: {others}),",
        f"the API on 127.0.0.1:{API_PORT} only (its token: api.token in home/config.toml).",
    ]
