"""The self-initialising compose form (the repository's root ``docker-compose.yml``).

An ``init`` service of the same image writes the node homes into a named volume with
``deltachain sim compose SCENARIO --out /cluster --subnet ... --homes-only --keep-existing``
(the manifest is one the package ships, read from the image); the node services wait for it to
finish, mount the volume and start from ``/cluster/nodes/<name>``. Addresses, ports and keys are
those :func:`node.scenario.compose.write_compose` gives the same manifest (keys follow from the
manifest's seed), so both forms describe one cluster. The subnet comes from ``DELTACHAIN_NET``
when the homes are first written; a later ``up`` with another one is refused by the init
service (the homes hold their peers' addresses) instead of starting a cluster that cannot meet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from node.scenario.compose import NODES_DIR, ClusterOptions, build_compose, service_of
from node.scenario.compose_notes import describe_notes
from node.scenario.compose_service import (
    TOKEN_FILE,
    ComposeError,
    network_section,
    node_ip,
    subnet_value,
)
from node.scenario.manifest import Manifest
from node.scenario.materialize import LAYOUT_FILE

CLUSTER_DIR = "/cluster"
CLUSTER_VOLUME = "cluster"
INIT_SERVICE = "init"


def build_init_compose(
    manifest: Manifest, scenario: str, options: ClusterOptions
) -> dict[str, Any]:
    """Services ``init`` plus one per node, the network and the ``cluster`` volume.

    ``scenario`` names the manifest for the init container: a shipped scenario's name.
    """
    if any(n.name == INIT_SERVICE for n in manifest.nodes):
        raise ComposeError(f"a node named {INIT_SERVICE!r} clashes with the init service")
    build_compose(manifest, options)  # the same checks as the bind-mounted form
    mount = f"{CLUSTER_VOLUME}:{CLUSTER_DIR}"
    nodes = {}
    for index, node in enumerate(manifest.nodes):
        home = f"{CLUSTER_DIR}/{NODES_DIR}/{node.name}"
        service = {"build": "."} | service_of(manifest, index, options, volume=mount, home=home)
        service["depends_on"] = {INIT_SERVICE: {"condition": "service_completed_successfully"}}
        nodes[node.name] = service
    init = {
        "build": ".",
        "image": nodes[manifest.nodes[0].name]["image"],
        "command": ["sim", "compose", scenario, "--out", CLUSTER_DIR,
                    "--subnet", subnet_value(options.subnet), "--homes-only", "--keep-existing"],
        "volumes": [mount],
        "healthcheck": {"disable": True},
        "restart": "no",
    }  # fmt: skip
    return {
        "services": {INIT_SERVICE: init, **nodes},
        "networks": network_section(options.subnet),
        "volumes": {CLUSTER_VOLUME: {}},
    }


def describe_init(manifest: Manifest) -> list[str]:
    """The header comment of the self-initialising form."""
    return [
        f"Deltachain cluster for scenario {manifest.name!r} (seed {manifest.seed}), written by",
        "`deltachain sim compose MANIFEST --print-init-form` (do not edit by hand).",
        "Start: docker compose up -d --build   (the init service writes the node homes once",
        f"into the {CLUSTER_VOLUME!r} volume; later ups keep them, and the chain, as they are).",
        f"API token for write routes: docker compose exec v0 cat {CLUSTER_DIR}/{TOKEN_FILE}",
        "Settings: DELTACHAIN_* variables in .env next to this file (see docs/operators.md).",
        *describe_notes(manifest),
    ]


def existing_cluster(manifest: Manifest, out: Path, subnet: str) -> bool:
    """Whether ``out`` already holds this manifest's homes for ``subnet`` (raises if it holds
    another scenario's, or this one's for another subnet)."""
    layout_path = out / NODES_DIR / LAYOUT_FILE
    if not layout_path.exists():
        return False
    try:
        layout = json.loads(layout_path.read_text(encoding="utf-8"))
        scenario = layout["scenario"]
        hosts = [str(n["p2p_addr"]).split("/")[2] for n in layout["nodes"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ComposeError(f"{layout_path} is unreadable: {exc}") from None
    if scenario != manifest.name:
        raise ComposeError(f"{out} holds scenario {scenario!r}, not {manifest.name!r}")
    wanted = [node_ip(subnet, i) for i in range(len(manifest.nodes))]
    if hosts != wanted:
        raise ComposeError(
            f"{out} holds homes for addresses {hosts[:1]}..., not {wanted[:1]}... ({subnet}): "
            "set DELTACHAIN_NET back, or start a new chain (docker compose down -v)"
        )
    return True
