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

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.scenario.compose_notes import describe
from node.scenario.compose_service import (
    API_HOST_VAR,
    API_PORT,
    DEFAULT_API_HOST,
    ENV_FILE,
    GID_VAR,
    IMAGE_VAR,
    NET_VAR,
    P2P_PORT,
    TOKEN_FILE,
    UID_VAR,
    ComposeError,
    network_section,
    node_ip,
    node_service,
    parse_subnet,
    port_var,
    variable,
)
from node.scenario.manifest import Manifest
from node.scenario.materialize import Addressing, NodeAddress, NodeLayout, materialize
from node.scenario.yamltext import dump_yaml

COMPOSE_FILE = "docker-compose.yml"
NODES_DIR = "nodes"
CONTAINER_HOME = "/home/deltachain/node"
HOST_API_BASE = 8_600
DEFAULT_IMAGE = "deltachain:latest"
DEFAULT_SUBNET = "172.28.0.0/24"
IMAGE_UID = 1000
"""The image's own unprivileged user (and group)."""


@dataclass(frozen=True)
class ClusterOptions:
    """How the cluster is addressed, which image it runs and as whom."""

    image: str = DEFAULT_IMAGE
    subnet: str = DEFAULT_SUBNET
    host_api_base: int = HOST_API_BASE
    """Node ``i``'s API is published on the host's 127.0.0.1 at this port plus ``i``."""
    uid: int | None = None
    """Who the nodes run as (bind-mounted homes): the caller, or the image's user if that is root;
    0 only when asked for."""
    gid: int | None = None


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
    options: ClusterOptions = ClusterOptions(),
    *,
    seed: int | None = None,
) -> Path:
    """Node homes, ``api_token``, ``.env`` (every setting, the uid and gid) and the compose file."""
    data = build_compose(manifest, options)  # checks every input before writing anything
    uid, gid = compute_ids(options)
    if (out / COMPOSE_FILE).exists():
        raise ComposeError(f"{out / COMPOSE_FILE} exists; choose a new directory")
    write_homes(manifest, out, seed=seed, subnet=options.subnet)
    hand_over(out / NODES_DIR, uid, gid)
    (out / ENV_FILE).write_text(render_env(manifest, options, uid, gid), encoding="utf-8")
    path = out / COMPOSE_FILE
    path.write_text(dump_yaml(data, comments=describe(manifest, seed)), encoding="utf-8")
    return path


def compute_ids(options: ClusterOptions) -> tuple[int, int]:
    """The uid and gid the nodes run as: as asked, else the caller's, else (root) the image's."""
    caller = (os.getuid(), os.getgid())
    default = (IMAGE_UID, IMAGE_UID) if caller[0] == 0 else caller
    uid = default[0] if options.uid is None else options.uid
    gid = options.gid if options.gid is not None else (default[1] if uid == default[0] else uid)
    if caller[0] != 0 and (uid, gid) != caller:
        raise ComposeError(f"only root can hand the node homes to {uid}:{gid}")
    return uid, gid


def hand_over(directory: Path, uid: int, gid: int) -> None:
    """Make ``directory`` and everything under it belong to ``uid:gid`` (root only)."""
    if (os.getuid(), os.getgid()) == (uid, gid):
        return
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)


def render_env(manifest: Manifest, options: ClusterOptions, uid: int, gid: int) -> str:
    """``.env``: every setting of the file with the value it was generated with."""
    subnet = parse_subnet(options.subnet)
    lines = [
        "# Settings of docker-compose.yml (compose reads this file; edit and `up -d` again).",
        f"# {NET_VAR} is also in the node homes (their peers' addresses): to move the cluster",
        "# to another subnet write a new directory with `deltachain sim compose --subnet`.",
        f"{IMAGE_VAR}={options.image}",
        f"{NET_VAR}={subnet.prefix}",
        f"{API_HOST_VAR}={DEFAULT_API_HOST}",
        *(f"{port_var(n.name)}={options.host_api_base + i}" for i, n in enumerate(manifest.nodes)),
        f"{UID_VAR}={uid}",
        f"{GID_VAR}={gid}",
    ]
    return "\n".join(lines) + "\n"


def build_compose(manifest: Manifest, options: ClusterOptions) -> dict[str, Any]:
    """The compose document for homes bind-mounted from ``./nodes/<name>``."""
    _validate_ports(manifest, options.host_api_base)
    user = f"{variable(UID_VAR, IMAGE_UID)}:{variable(GID_VAR, IMAGE_UID)}"
    services = {
        node.name: service_of(manifest, index, options,
            volume=f"./{NODES_DIR}/{node.name}:{CONTAINER_HOME}", home=CONTAINER_HOME,
        ) | {"user": user}
        for index, node in enumerate(manifest.nodes)
    }  # fmt: skip
    return {"services": services, "networks": network_section(options.subnet)}


def service_of(
    manifest: Manifest, index: int, options: ClusterOptions, *, volume: str, home: str
) -> dict[str, Any]:
    """Node ``index``'s service with the image, subnet and API port of ``options``."""
    port = options.host_api_base + index
    return node_service(
        manifest, index, options.image, options.subnet, port, volume=volume, home=home
    )


def _validate_ports(manifest: Manifest, base: int) -> None:
    last = base + len(manifest.nodes) - 1
    if base < 1 or last > 65_535:
        raise ComposeError(f"host API ports {base}..{last} are not all TCP ports")
