"""`testnet up` never leaves a node behind: SIGINT, SIGTERM, SIGHUP and even SIGKILL to the
launcher stop every node it started and free every port; a taken port stops it before any
node starts, naming the port and the earlier testnet that holds it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from node.ops.ports import is_port_free, list_node_ports
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
from tests.node.processes.test_cluster_processes import free_port_base

pytestmark = pytest.mark.multiprocess

EXIT_PORT_IN_USE = 5


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def make_testnet(root: Path) -> list[tuple[str, Path]]:
    options = TestnetOptions(
        validators=4,
        chain_id="signal-net",
        p2p_base_port=free_port_base(5),
        api_base_port=free_port_base(5),
        task=TaskOptions(model_id="logreg-digits"),
        training=False,
        seed=11,
    )
    nodes: list[dict[str, str]] = create_testnet(root, options)["nodes"]  # type: ignore[assignment]
    return [(n["name"], Path(n["home"])) for n in nodes]


def launch(directory: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "node.cli.main", "testnet", "up", str(directory)]
    return subprocess.Popen(
        [*command, "--timeout", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a signal to the test's group never reaches it by accident
    )


def node_pid(home: Path) -> int | None:
    try:
        return int(json.loads((home / "data" / "api.json").read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError):
        return None


def is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def all_ports_free(nodes: list[tuple[str, Path]]) -> bool:
    ports = [p for name, home in nodes for p in list_node_ports(name, home)]
    return all(is_port_free(p.host, p.port) for p in ports)


def run_second_launcher(directory: Path) -> tuple[int, str]:
    command = [sys.executable, "-m", "node.cli.main", "testnet", "up", str(directory)]
    done = subprocess.run(command, capture_output=True, timeout=60, check=False)
    return done.returncode, done.stderr.decode(errors="replace")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_launcher_signal_stops_every_node_and_frees_every_port(
    tmp_path: Path, signum: signal.Signals
) -> None:
    directory = tmp_path / "net"
    nodes = make_testnet(directory)
    launcher = launch(directory)
    try:
        wait_for(lambda: all(node_pid(h) is not None for _, h in nodes), 90, "every node up")
        pids = [pid for _, h in nodes if (pid := node_pid(h)) is not None]
        assert all(is_alive(pid) for pid in pids)

        code, said = run_second_launcher(directory)  # the same testnet, still running
        assert code == EXIT_PORT_IN_USE, said
        assert "is taken by a Deltachain node of an earlier testnet" in said, said
        assert all(is_alive(pid) for pid in pids), "the refused launcher touched no node"

        os.kill(launcher.pid, signum)
        launcher.wait(timeout=30)
        wait_for(lambda: not any(is_alive(pid) for pid in pids), 20, "every node gone")
        wait_for(lambda: all_ports_free(nodes), 10, "every port free")
    finally:
        said_by_launcher = end_launcher(launcher, nodes)
    if signum is not signal.SIGKILL:
        assert launcher.returncode == 1
        assert b"every node stopped" in said_by_launcher


def end_launcher(launcher: subprocess.Popen[bytes], nodes: list[tuple[str, Path]]) -> bytes:
    """Kill whatever is left of the launcher and its nodes; what the launcher said."""
    if launcher.poll() is None:
        launcher.kill()
        launcher.wait()
    for _, home in nodes:
        if (pid := node_pid(home)) is not None and is_alive(pid):
            os.kill(pid, signal.SIGKILL)
    said = launcher.stderr.read() if launcher.stderr else b""
    if launcher.stderr:
        launcher.stderr.close()
    return said


def test_launcher_started_with_sigint_blocked_still_stops_on_sigint(tmp_path: Path) -> None:
    """A parent thread with SIGINT blocked passes its mask on; the launcher unblocks it."""
    directory = tmp_path / "net"
    nodes = make_testnet(directory)
    command = [sys.executable, "-m", "node.cli.main", "testnet", "up", str(directory)]
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:  # a child inherits the mask of the thread that starts it
        launcher = subprocess.Popen(
            [*command, "--timeout", "600"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
    try:
        wait_for(lambda: all(node_pid(h) is not None for _, h in nodes), 90, "every node up")
        pids = [pid for _, h in nodes if (pid := node_pid(h)) is not None]
        os.kill(launcher.pid, signal.SIGINT)
        launcher.wait(timeout=30)
        wait_for(lambda: not any(is_alive(pid) for pid in pids), 20, "every node gone")
    finally:
        said_by_launcher = end_launcher(launcher, nodes)
    assert launcher.returncode == 1
    assert b"every node stopped" in said_by_launcher


def test_taken_port_refuses_before_any_node_starts(tmp_path: Path) -> None:
    directory = tmp_path / "net"
    nodes = make_testnet(directory)
    taken = list_node_ports(*nodes[2])[0]
    with socket.socket() as squatter:
        squatter.bind((taken.host, taken.port))
        squatter.listen()
        code, said = run_second_launcher(directory)
    assert code == EXIT_PORT_IN_USE, said
    assert f"node2's {taken.kind} port {taken.host}:{taken.port} is taken" in said, said
    assert f"pid {os.getpid()}" in said, said
    assert not any((home / "node.log").exists() for _, home in nodes), "a node was started"
