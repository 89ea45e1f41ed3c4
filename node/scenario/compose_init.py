"""The self-initialising compose form (the repository's root ``docker-compose.yml``).

An ``init`` service of the same image writes the node homes into a named volume with
``deltachain sim compose MANIFEST --out /cluster --homes-only --keep-existing``; the node
services wait for it to finish, mount the volume and start from ``/cluster/nodes/<name>``.
Addresses, ports and keys are those :func:`node.scenario.compose.write_compose` gives the same
manifest (keys follow from the manifest's seed), so both forms describe one cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from node.scenario.compose import (
    NODES_DIR,
    TOKEN_FILE,
    ClusterOptions,
    ComposeError,
    build_compose,
    describe,
    network_section,
    node_service,
)
from node.scenario.manifest import Manifest
from node.scenario.materialize import LAYOUT_FILE

CLUSTER_DIR = "/cluster"
CLUSTER_VOLUME = "cluster"
INIT_SERVICE = "init"


def build_init_compose(
    manifest: Manifest, manifest_path: str, options: ClusterOptions
) -> dict[str, Any]:
    """Services ``init`` plus one per node, the network and the ``cluster`` volume."""
    if any(n.name == INIT_SERVICE for n in manifest.nodes):
        raise ComposeError(f"a node named {INIT_SERVICE!r} clashes with the init service")
    build_compose(manifest, options)  # the same checks as the bind-mounted form
    mount = f"{CLUSTER_VOLUME}:{CLUSTER_DIR}"
    init = {
        "build": ".",
        "image": options.image,
        "command": ["sim", "compose", manifest_path, "--out", CLUSTER_DIR,
                    "--subnet", options.subnet, "--homes-only", "--keep-existing"],
        "volumes": [mount],
        "healthcheck": {"disable": True},
        "restart": "no",
    }  # fmt: skip
    services: dict[str, Any] = {INIT_SERVICE: init}
    for index, node in enumerate(manifest.nodes):
        home = f"{CLUSTER_DIR}/{NODES_DIR}/{node.name}"
        service = {"build": "."} | node_service(manifest, index, options, volume=mount, home=home)
        service["depends_on"] = {INIT_SERVICE: {"condition": "service_completed_successfully"}}
        services[node.name] = service
    return {
        "services": services,
        "networks": network_section(options.subnet),
        "volumes": {CLUSTER_VOLUME: {}},
    }


def describe_init(manifest: Manifest) -> list[str]:
    """The header comment of the self-initialising form."""
    return [
        *describe(manifest, None)[:1],
        "`deltachain sim compose MANIFEST --print-init-form` (do not edit by hand).",
        "Start: docker compose up -d --build   (the init service writes the node homes once",
        f"into the {CLUSTER_VOLUME!r} volume; later ups keep them, and the chain, as they are).",
        f"API token for write routes: docker compose exec v0 cat {CLUSTER_DIR}/{TOKEN_FILE}",
        *describe(manifest, None)[3:],
    ]


def existing_cluster(manifest: Manifest, out: Path) -> bool:
    """Whether ``out`` already holds this manifest's homes (raises if it holds another's)."""
    layout_path = out / NODES_DIR / LAYOUT_FILE
    if not layout_path.exists():
        return False
    try:
        scenario = json.loads(layout_path.read_text(encoding="utf-8"))["scenario"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ComposeError(f"{layout_path} is unreadable: {exc}") from None
    if scenario != manifest.name:
        raise ComposeError(f"{out} holds scenario {scenario!r}, not {manifest.name!r}")
    return True
