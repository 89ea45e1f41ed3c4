"""Cutting links between node containers: ``docker network disconnect`` and block lists.

A disconnected node leaves the cluster's network (``docker network disconnect``: no packet in or
out, its published API included) and joins it again at its static address. A partition keeps
every container on the network; each node refuses the peers of the other groups through its API
(``PUT /admin/blocked-peers``, as on loopback), pushed again after a node restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from node.scenario.docker_cli import DockerError, run_docker
from node.scenario.links import Groups, LoopbackLinks

logger = logging.getLogger(__name__)


class DockerLinks:
    """Disconnects on the Docker network, partitions by block lists."""

    def __init__(
        self, blocks: LoopbackLinks, network: str, containers: dict[str, str], ips: dict[str, str]
    ) -> None:
        self.blocks = blocks
        self.network = network
        self.containers = containers
        self.ips = ips
        self.disconnected: frozenset[str] = frozenset()

    def set_target(self, partitions: Sequence[Groups], disconnected: frozenset[str]) -> None:
        self.blocks.set_target(partitions, frozenset())
        for name in sorted(disconnected - self.disconnected):
            run_docker(["docker", "network", "disconnect", self.network, self.containers[name]])
            logger.info("disconnected node=%s network=%s", name, self.network)
        for name in sorted(self.disconnected - disconnected):
            self._connect(name)
        self.disconnected = disconnected

    def refresh(self, reachable: frozenset[str]) -> None:
        self.blocks.refresh(reachable)

    def forget(self, name: str) -> None:
        self.blocks.forget(name)

    def _connect(self, name: str) -> None:
        args = ["docker", "network", "connect", "--ip", self.ips[name], self.network]
        try:
            run_docker([*args, self.containers[name]])
        except DockerError as exc:
            if "already exists" not in str(exc):
                raise
        logger.info("reconnected node=%s network=%s", name, self.network)
