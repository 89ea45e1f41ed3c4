"""Real node processes on this machine: start, signal, restart and stop them, no leftovers.

Each node runs ``python -m node.cli.main start --home HOME`` in its own session (so a signal to
the node never hits the launcher), with its output in ``HOME/node.log``. Every node holds the
read end of the cluster's :class:`~node.ops.lifeline.Lifeline`, so no node outlives the launcher.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from node.api.client import ApiClient
from node.api.errors import ApiError
from node.ops.lifeline import Lifeline

logger = logging.getLogger(__name__)

STOP_GRACE_S = 15.0


@dataclass
class NodeProcess:
    """One node of a cluster and its process, if running."""

    name: str
    home: Path
    api_url: str
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    starts: int = 0
    command_prefix: tuple[str, ...] = ()
    """Run the node under this command, e.g. ``ip netns exec NAME``."""

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, timeout_s: float = 2.0) -> ApiClient:
        return ApiClient(self.api_url, timeout_s=timeout_s)

    def get(self, path: str) -> dict[str, Any] | None:
        """``GET path`` on the node's API, or None while it does not answer."""
        try:
            return self.client().get(path)
        except ApiError:
            return None


@dataclass
class Cluster:
    """The node processes of one testnet directory."""

    nodes: list[NodeProcess]
    python: str = field(default_factory=lambda: sys.executable)
    log_level: str = "info"
    _lifeline: Lifeline | None = field(default=None, repr=False)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Cluster:
        nodes = [
            NodeProcess(str(n["name"]), Path(str(n["home"])), str(n["api"]))
            for n in manifest["nodes"]
        ]
        return cls(nodes)

    def start(self, node: NodeProcess) -> None:
        if node.is_running:
            return
        command = [
            *node.command_prefix,
            self.python,
            "-m",
            "node.cli.main",
            "start",
            "--home",
            str(node.home),
            "--log-level",
            self.log_level,
        ]
        node.log = open(node.home / "node.log", "ab")  # noqa: SIM115 - closed in stop()
        lifeline = self._get_lifeline()
        node.process = subprocess.Popen(
            command,
            stdout=node.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(lifeline.read_fd,),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **lifeline.child_env()},
        )
        node.starts += 1
        logger.info("started node=%s pid=%d", node.name, node.process.pid)

    def _get_lifeline(self) -> Lifeline:
        if self._lifeline is None:
            self._lifeline = Lifeline()
        return self._lifeline

    def close(self) -> None:
        """Stop every node, then close the lifeline (call once the cluster is done with)."""
        try:
            self.stop_all()
        finally:
            if self._lifeline is not None:
                self._lifeline.close()
                self._lifeline = None

    def start_all(self) -> None:
        for node in self.nodes:
            self.start(node)

    def signal(self, node: NodeProcess, signum: signal.Signals) -> None:
        if node.process is not None and node.process.poll() is None:
            os.kill(node.process.pid, signum)

    def stop(self, node: NodeProcess, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL if it lingers past ``grace_s``; close its log."""
        process = node.process
        if process is not None:
            if process.poll() is None:
                self.signal_group(node, signal.SIGCONT)  # a paused node cannot handle SIGTERM
                process.terminate()
                try:
                    process.wait(grace_s)
                except subprocess.TimeoutExpired:
                    logger.warning("node=%s ignored SIGTERM; killing", node.name)
                    process.kill()
                    process.wait()
            node.process = None
        if node.log is not None:
            node.log.close()
            node.log = None

    def signal_group(self, node: NodeProcess, signum: int) -> None:
        """Signal the node and every process it started (its session's process group)."""
        if node.process is not None and node.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signum)

    def kill(self, node: NodeProcess) -> None:
        """SIGKILL to the node and its training worker: the crash case (nothing is flushed,
        nothing is closed, no child survives it)."""
        if node.process is not None and node.process.poll() is None:
            self.signal_group(node, signal.SIGKILL)
            node.process.wait()
        self.stop(node)

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.is_running:
                self.signal_group(node, signal.SIGCONT)
                if node.process is not None:
                    node.process.terminate()
        for node in self.nodes:
            self.stop(node)

    def wait_until_serving(self, timeout_s: float) -> None:
        """Block until every running node answers ``GET /status``."""
        deadline = time.monotonic() + timeout_s
        pending = [n for n in self.nodes if n.is_running]
        while pending and time.monotonic() < deadline:
            pending = [n for n in pending if n.get("/status") is None]
            for node in pending:
                if not node.is_running:
                    raise RuntimeError(f"{node.name} exited; see {node.home / 'node.log'}")
            time.sleep(0.25)
        if pending:
            raise TimeoutError(f"nodes not serving after {timeout_s}s: {[n.name for n in pending]}")
