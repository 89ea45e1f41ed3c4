"""Lay out a run on Docker containers (``sim run --docker``) and take it down without a trace.

The cluster is the one ``deltachain sim compose`` writes for the manifest (same generator, same
homes), with a free /24 subnet and free host ports for the APIs, under the compose project
``dcrun<pid>x<hex>``. ``compose up --no-start`` creates the network and the containers (late
joiners included); the runner's fleet starts them on schedule and reads every figure through the
published APIs. Closing saves every container's log next to the homes, runs ``compose down -v``
and removes whatever still carries the project's label; what could not be removed is reported.
Projects of runs whose process is gone (a crash, a second Ctrl-C during the cleanup) are removed
when the next Docker run opens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

from node.api.client import ApiClient
from node.scenario.compose import COMPOSE_FILE, NODES_DIR, ClusterOptions, write_compose
from node.scenario.compose_service import TOKEN_FILE, node_ip
from node.scenario.control import Fleet
from node.scenario.docker_cli import (
    PROJECT_LABEL,
    SERVICE_LABEL,
    DockerError,
    compose_command,
    fetch_logs,
    list_labelled,
    run_docker,
)
from node.scenario.docker_cluster import DockerCluster, DockerNode
from node.scenario.docker_image import ensure_image
from node.scenario.docker_links import DockerLinks
from node.scenario.docker_sweep import (
    list_project,
    make_project,
    remove_project,
    remove_stale_projects,
)
from node.scenario.links import LoopbackLinks
from node.scenario.manifest import Manifest
from node.scenario.materialize import LAYOUT_FILE, NodeLayout
from node.scenario.options import RunOptions
from node.scenario.play import Member
from node.scenario.setup import Setup, find_free_port_base, make_fetch
from node.scenario.subnets import find_free_subnet

logger = logging.getLogger(__name__)

CLUSTER_DIR = "cluster"
LOGS_DIR = "logs"
DOWN_TIMEOUT_S = 180.0
MODE = "docker"


def open_docker_setup(plan: Manifest, options: RunOptions, workdir: Path, seed: int) -> Setup:
    """Write the cluster under ``workdir``, create its containers (not started), build the fleet."""
    compose_tool = compose_command()  # first: one clear line when Docker is not there
    removed = remove_stale_projects()
    if removed:
        logger.warning("removed the Docker resources of crashed runs: %s", removed)
    ensure_image(options.docker_image)
    cluster = ClusterOptions(
        image=options.docker_image,
        subnet=find_free_subnet(),
        host_api_base=options.api_base_port or find_free_port_base(len(plan.nodes)),
    )
    out = workdir / CLUSTER_DIR
    write_compose(plan, out, cluster, seed=seed)
    project = make_project(os.getpid(), secrets.token_hex(3))
    compose = (*compose_tool, "-p", project, "-f", str(out / COMPOSE_FILE))
    try:
        run_docker([*compose, "--profile", "late", "up", "--no-start"], cwd=out)
        setup = _build(plan, out, project, cluster)
    except BaseException:
        _take_down(project, compose, out, workdir)
        raise
    setup.close = lambda: _take_down(project, compose, out, workdir)
    return setup


def _build(plan: Manifest, out: Path, project: str, cluster: ClusterOptions) -> Setup:
    """The fleet over the project's containers, clients on the published APIs."""
    layouts = read_layouts(out / NODES_DIR / LAYOUT_FILE)
    token = (out / TOKEN_FILE).read_text(encoding="utf-8").strip()
    selector = f"{PROJECT_LABEL}={project}"
    containers = {
        service: name for name, service in list_labelled("container", selector, SERVICE_LABEL)
    }
    networks = [name for name, _ in list_labelled("network", selector)]
    missing = [x.name for x in layouts if x.name not in containers]
    if missing or len(networks) != 1:
        raise DockerError(
            f"compose made no container for {missing} or not one network ({networks})"
        )
    urls = {x.name: f"http://127.0.0.1:{cluster.host_api_base + i}" for i, x in enumerate(layouts)}
    nodes = [
        DockerNode(x.name, Path(x.home), urls[x.name], container=containers[x.name])
        for x in layouts
    ]
    clients = {x.name: ApiClient(urls[x.name], token, timeout_s=2.0) for x in layouts}
    blocks = LoopbackLinks({x.name: x.peer_id for x in layouts}, clients)
    ips = {x.name: node_ip(cluster.subnet, i) for i, x in enumerate(layouts)}
    links = DockerLinks(blocks, networks[0], containers, ips)
    members = [
        Member(x.name, x.address, x.honest, make_fetch(clients[x.name]), clients[x.name])
        for x in layouts
    ]
    fleet = Fleet(DockerCluster(list(nodes)), links)
    return Setup(plan, MODE, layouts, fleet, members, close=list)


def read_layouts(path: Path) -> list[NodeLayout]:
    """The nodes ``layout.json`` lists."""
    return [NodeLayout(**node) for node in json.loads(path.read_text(encoding="utf-8"))["nodes"]]


def _take_down(project: str, compose: tuple[str, ...], out: Path, workdir: Path) -> list[str]:
    """Save the logs, ``compose down -v``, remove what is left; what still could not go."""
    with _sigint_ignored():
        _save_logs(project, workdir / LOGS_DIR)
        try:
            run_docker([*compose, "down", "-v", "--remove-orphans", "-t", "10"], cwd=out,
                       timeout_s=DOWN_TIMEOUT_S)  # fmt: skip
        except DockerError as exc:
            logger.warning("compose down failed project=%s error=%s", project, exc)
        remove_project(project)
        return list_project(project)


def _save_logs(project: str, directory: Path) -> None:
    selector = f"{PROJECT_LABEL}={project}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, service in list_labelled("container", selector, SERVICE_LABEL):
            (directory / f"{service}.log").write_text(fetch_logs(name), encoding="utf-8")
    except (DockerError, OSError) as exc:
        logger.warning("container logs not saved project=%s error=%s", project, exc)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C must not cut the cleanup short (SIGTERM is already ignored then)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
