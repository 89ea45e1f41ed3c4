"""A manifest as a docker-compose cluster: node homes with fixed container addresses, one file.

Every node gets a static IPv4 address on one bridge network (the ``FIRST_HOST``-th address of
the subnet onwards, in manifest order), binds p2p and API on 0.0.0.0 inside its container and
dials its peers at their static addresses, so :func:`materialize` writes homes whose bootstrap
lists are right for the cluster. The API then listens beyond loopback, so one token per cluster
protects the write routes (``api_token`` next to the compose file).

Compose only starts processes: the manifest's perturbations and partitions are listed in a
comment at the top of the file, not applied. Late joiners sit behind the ``late`` profile.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.scenario.errors import ScenarioError
from node.scenario.manifest import Manifest, NodeSpec
from node.scenario.materialize import Addressing, NodeAddress, NodeLayout, materialize
from node.scenario.yamltext import dump_yaml

COMPOSE_FILE = "docker-compose.yml"
NODES_DIR = "nodes"
TOKEN_FILE = "api_token"
ENV_FILE = ".env"
CONTAINER_HOME = "/home/deltachain/node"
P2P_PORT = 26_656
API_PORT = 8_545
FIRST_HOST = 10
HOST_API_BASE = 8_600
NETWORK = "deltachain"
LATE_PROFILE = "late"
DEFAULT_IMAGE = "deltachain:latest"
DEFAULT_SUBNET = "172.28.0.0/16"
HEALTH_PROBE = (
    "import urllib.request; "
    f"urllib.request.urlopen('http://127.0.0.1:{API_PORT}/status', timeout=4)"
)


class ComposeError(ScenarioError):
    """The cluster cannot be laid out (bad subnet, too few addresses, ports, existing files)."""


@dataclass(frozen=True)
class ClusterOptions:
    """How the cluster is addressed and which image it runs."""

    image: str = DEFAULT_IMAGE
    subnet: str = DEFAULT_SUBNET
    host_api_base: int = HOST_API_BASE
    """Node ``i``'s API is published on the host's 127.0.0.1 at this port plus ``i``."""


def node_ip(subnet: str, index: int) -> str:
    """The static address of the node at manifest ``index``."""
    try:
        network = ipaddress.IPv4Network(subnet)
    except ValueError as exc:
        raise ComposeError(f"subnet {subnet!r} is not an IPv4 network: {exc}") from None
    if FIRST_HOST + index >= network.num_addresses - 1:
        raise ComposeError(f"subnet {subnet} has no address for node {index}; use a larger one")
    return str(network.network_address + FIRST_HOST + index)


def container_addressing(subnet: str) -> Addressing:
    """Bind on every interface inside the container; peers dial the static address."""
    return lambda i: NodeAddress("0.0.0.0", node_ip(subnet, i), P2P_PORT, API_PORT)


def write_homes(
    manifest: Manifest, out: Path, *, seed: int | None = None, subnet: str = DEFAULT_SUBNET
) -> list[NodeLayout]:
    """Node homes under ``out/nodes`` with a fresh API token (also written to ``out/api_token``)."""
    for index in range(len(manifest.nodes)):
        node_ip(subnet, index)  # every address fits before anything is written
    token = secrets.token_hex(16)
    out.mkdir(parents=True, exist_ok=True)
    layouts = materialize(
        manifest, out / NODES_DIR, container_addressing(subnet), seed=seed, api_token=token
    )
    (out / TOKEN_FILE).write_text(token + "\n", encoding="utf-8")
    (out / TOKEN_FILE).chmod(0o600)
    return layouts


def write_compose(
    manifest: Manifest,
    out: Path,
    *,
    seed: int | None = None,
    image: str = DEFAULT_IMAGE,
    subnet: str = DEFAULT_SUBNET,
    host_api_base: int = HOST_API_BASE,
) -> Path:
    """Node homes, ``api_token``, ``.env`` (the caller's uid and gid) and the compose file."""
    options = ClusterOptions(image, subnet, host_api_base)
    data = build_compose(manifest, options)  # checks every input before writing anything
    if (out / COMPOSE_FILE).exists():
        raise ComposeError(f"{out / COMPOSE_FILE} exists; choose a new directory")
    write_homes(manifest, out, seed=seed, subnet=subnet)
    env = f"DELTACHAIN_UID={os.getuid()}\nDELTACHAIN_GID={os.getgid()}\n"
    (out / ENV_FILE).write_text(env, encoding="utf-8")
    path = out / COMPOSE_FILE
    path.write_text(dump_yaml(data, comments=describe(manifest, seed)), encoding="utf-8")
    return path


def build_compose(manifest: Manifest, options: ClusterOptions) -> dict[str, Any]:
    """The compose document for homes bind-mounted from ``./nodes/<name>``."""
    _validate_ports(manifest, options.host_api_base)
    services = {
        node.name: node_service(
            manifest, index, options,
            volume=f"./{NODES_DIR}/{node.name}:{CONTAINER_HOME}",
            home=CONTAINER_HOME,
        ) | {"user": "${DELTACHAIN_UID:-1000}:${DELTACHAIN_GID:-1000}"}
        for index, node in enumerate(manifest.nodes)
    }  # fmt: skip
    return {"services": services, "networks": network_section(options.subnet)}


def node_service(
    manifest: Manifest, index: int, options: ClusterOptions, *, volume: str, home: str
) -> dict[str, Any]:
    """One node's service: static address, published API, health check, restart policy."""
    node = manifest.nodes[index]
    service: dict[str, Any] = {
        "image": options.image,
        "command": ["start", "--home", home],
        "init": True,
        "volumes": [volume],
        "networks": {NETWORK: {"ipv4_address": node_ip(options.subnet, index)}},
        "ports": [f"127.0.0.1:{options.host_api_base + index}:{API_PORT}"],
        "healthcheck": {
            "test": ["CMD", "python", "-c", HEALTH_PROBE],
            "interval": "10s",
            "timeout": "5s",
            "retries": 6,
            "start_period": "60s",
        },
        "restart": "unless-stopped",
        "stop_grace_period": "30s",
    }
    if is_late(node):
        service["profiles"] = [LATE_PROFILE]
    return service


def network_section(subnet: str) -> dict[str, Any]:
    return {NETWORK: {"driver": "bridge", "ipam": {"config": [{"subnet": subnet}]}}}


def is_late(node: NodeSpec) -> bool:
    return node.start_at_s > 0


def describe(manifest: Manifest, seed: int | None) -> list[str]:
    """The header comment: what the file is, what compose does not do, how to start joiners."""
    run_seed = manifest.seed if seed is None else seed
    lines = [
        f"Deltachain cluster for scenario {manifest.name!r} (seed {run_seed}), written by",
        "`deltachain sim compose`. Build the image first: docker build -t <image> <repo root>",
        f"API token for write routes: see {TOKEN_FILE}; APIs on 127.0.0.1 ports below.",
    ]
    late = [n.name for n in manifest.nodes if is_late(n)]
    if late:
        lines.append(
            f"Late joiners (profile {LATE_PROFILE!r}) are started by hand: "
            f"docker compose up -d {' '.join(late)}"
        )
    odd = [f"{n.name} ({n.byzantine.value or n.attack.value})" for n in manifest.nodes
           if not n.is_honest]  # fmt: skip
    if odd:
        lines.append(f"Byzantine or poisoning nodes (set in their config.toml): {', '.join(odd)}")
    lines.extend(_unapplied(manifest))
    return lines


def _unapplied(manifest: Manifest) -> list[str]:
    steps = [
        f"  {p.action.value} {p.node} at {p.at_s:g}s for {p.duration_s:g}s"
        for p in manifest.perturbations
    ] + [
        f"  partition {' | '.join(','.join(g) for g in p.groups)} "
        f"from {p.at_s:g}s to {p.heal_at_s:g}s"
        for p in manifest.partitions
    ]
    if not steps:
        return []
    return ["Not applied by compose (use `deltachain sim run` for these):", *steps]


def _validate_ports(manifest: Manifest, base: int) -> None:
    last = base + len(manifest.nodes) - 1
    if base < 1 or last > 65_535:
        raise ComposeError(f"host API ports {base}..{last} are not all TCP ports")
