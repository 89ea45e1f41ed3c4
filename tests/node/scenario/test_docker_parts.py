"""The Docker backend's pure parts: subnets, project names, the container handles, the CLI."""

from __future__ import annotations

import ipaddress
import os
import random
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.ops.launcher import NodeProcess
from node.scenario.docker_cli import DockerError
from node.scenario.docker_cluster import DockerCluster, DockerNode
from node.scenario.docker_sweep import is_alive, make_project, project_pid
from node.scenario.subnets import choose_subnet


def test_choose_subnet_avoids_every_taken_network() -> None:
    taken = [ipaddress.IPv4Network(f"10.{a}.0.0/16") for a in range(100, 249)]
    chosen = ipaddress.IPv4Network(choose_subnet(taken, random.Random(3)))
    assert chosen.prefixlen == 24 and chosen.subnet_of(ipaddress.IPv4Network("10.249.0.0/16"))
    with pytest.raises(DockerError, match="no free"):
        choose_subnet([ipaddress.IPv4Network("10.0.0.0/8")], random.Random(3))


def test_project_names_carry_the_pid_of_their_run() -> None:
    project = make_project(os.getpid(), "a1b2c3")
    assert project == f"dcrun{os.getpid()}xa1b2c3"
    assert project_pid(project) == os.getpid() and is_alive(os.getpid())
    assert project_pid("myapp") is None and project_pid("dcrunx12") is None


def test_docker_nodes_run_only_when_started(tmp_path: Path) -> None:
    node = DockerNode("v0", tmp_path, "http://127.0.0.1:1", container="c")
    assert not node.is_running and node.starts == 0
    cluster = DockerCluster([node])
    cluster.kill(node)  # not running: no docker call
    cluster.signal_group(node, signal.SIGSTOP)
    assert not node.is_running
    with pytest.raises(DockerError, match="not a container"):
        cluster.start(NodeProcess("p", tmp_path, "http://127.0.0.1:1"))


def test_sim_run_takes_one_backend() -> None:
    result = CliRunner().invoke(app, ["sim", "run", "baseline-4", "--docker", "--netns"])
    assert result.exit_code == 2
    assert "choose one of" in result.output
