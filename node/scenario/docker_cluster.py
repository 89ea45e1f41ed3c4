"""Node containers driven like node processes, so the runner's :class:`~node.scenario.control.
Fleet` plays the same schedule on them.

:class:`DockerCluster` is the launcher's :class:`~node.ops.launcher.Cluster` with containers
underneath: start is ``docker start``, a graceful stop ``docker stop`` (SIGTERM, then SIGKILL
after the grace), a kill ``docker kill`` (SIGKILL: the crash case; Docker counts it as a manual
stop, so the restart policy leaves the container down until the schedule starts it), SIGSTOP and
SIGCONT ``docker pause`` and ``docker unpause`` (the cgroup freezer: the node and its training
worker stop together). The containers exist (``compose up --no-start``) before the first start.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass

from node.ops.launcher import STOP_GRACE_S, Cluster, NodeProcess
from node.scenario.docker_cli import DockerError, fetch_logs, run_docker

logger = logging.getLogger(__name__)

STATE_CHECK_S = 5.0
LOG_LINES = 20


@dataclass
class DockerNode(NodeProcess):
    """A node in a container; ``api_url`` is its API as published on the host."""

    container: str = ""
    running: bool = False
    """Started by the run and neither stopped nor killed since (paused counts as running)."""

    @property
    def is_running(self) -> bool:
        return self.running


@dataclass
class DockerCluster(Cluster):
    """The containers of one run (created, not yet started)."""

    def start(self, node: NodeProcess) -> None:
        container = _container(node)
        if container.running:
            return
        run_docker(["docker", "start", container.container])
        container.running = True
        container.starts += 1
        logger.info("started node=%s container=%s", node.name, container.container)

    def stop(self, node: NodeProcess, grace_s: float = STOP_GRACE_S) -> None:
        """``docker stop``: SIGTERM, SIGKILL if the node lingers past ``grace_s``."""
        container = _container(node)
        if container.running:
            timeout = str(round(grace_s))
            run_docker(
                ["docker", "stop", "-t", timeout, container.container], timeout_s=grace_s + 60
            )
        container.running = False

    def kill(self, node: NodeProcess) -> None:
        """``docker kill``: SIGKILL to everything in the container."""
        container = _container(node)
        if container.running:
            run_docker(["docker", "kill", "-s", "KILL", container.container])
        container.running = False

    def signal_group(self, node: NodeProcess, signum: int) -> None:
        """SIGSTOP pauses the container, SIGCONT resumes it, other signals are sent as they are."""
        container = _container(node)
        if not container.running:
            return
        if signum == signal.SIGSTOP:
            run_docker(["docker", "pause", container.container])
        elif signum == signal.SIGCONT:
            try:
                run_docker(["docker", "unpause", container.container])
            except DockerError as exc:  # a stop resumes first, paused or not
                logger.debug("unpause node=%s: %s", node.name, exc)
        else:
            name = signal.Signals(signum).name
            run_docker(["docker", "kill", "-s", name, container.container])

    def stop_all(self) -> None:
        """Stop every running container at once (the daemon stops them in parallel)."""
        running = [_container(n) for n in self.nodes if n.is_running]
        if running:
            names = [n.container for n in running]
            grace = str(round(STOP_GRACE_S))
            run_docker(["docker", "stop", "-t", grace, *names], timeout_s=STOP_GRACE_S + 120)
        for node in running:
            node.running = False

    def close(self) -> None:
        self.stop_all()

    def wait_until_serving(self, timeout_s: float) -> None:
        """Block until every started node answers ``GET /status``; fail fast on one that exited."""
        deadline = time.monotonic() + timeout_s
        pending = [_container(n) for n in self.nodes if n.is_running]
        checked = time.monotonic()
        while pending and time.monotonic() < deadline:
            pending = [n for n in pending if n.get("/status") is None]
            if time.monotonic() - checked >= STATE_CHECK_S:
                checked = time.monotonic()
                for node in pending:
                    _raise_if_exited(node)
            time.sleep(0.5)
        if pending:
            raise TimeoutError(f"nodes not serving after {timeout_s}s: {[n.name for n in pending]}")


def _container(node: NodeProcess) -> DockerNode:
    if not isinstance(node, DockerNode):
        raise DockerError(f"{node.name} is not a container")
    return node


def _raise_if_exited(node: DockerNode) -> None:
    state = run_docker(["docker", "inspect", "-f", "{{.State.Status}}", node.container]).strip()
    if state in {"exited", "dead"}:
        logs = fetch_logs(node.container, LOG_LINES)
        raise RuntimeError(f"{node.name} exited; its last lines:\n{logs}")
