"""Check a cluster's listening ports before starting any node, and name who holds a taken one.

``testnet up`` refuses to start when one of its nodes' ports is taken: starting the others would
let them join whatever holds the port (often the nodes of an earlier testnet still running).
A probe binds the port with ``SO_REUSEADDR``, so sockets in TIME_WAIT from a testnet that just
stopped do not count as taken, while a live listener does.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from node.errors import PortInUseError
from node.ops.config import load_config


@dataclass(frozen=True)
class NodePort:
    """One port a node of the cluster will listen on."""

    node: str
    home: Path
    kind: str
    """``p2p`` or ``api``."""
    host: str
    port: int


def list_node_ports(name: str, home: Path) -> list[NodePort]:
    """The fixed ports a node's ``config.toml`` asks for (port 0, any free port, is left out)."""
    config = load_config(home)
    ports = [NodePort(name, home, "api", config.api.host, config.api.port)]
    parts = config.p2p.listen.split("/")
    if len(parts) >= 5 and parts[3] == "tcp" and parts[4].isdigit():
        ports.append(NodePort(name, home, "p2p", parts[2], int(parts[4])))
    return [p for p in ports if p.port != 0]


def is_port_free(host: str, port: int) -> bool:
    """Whether a listener could bind ``host:port`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def find_listener_pid(port: int, proc: Path = Path("/proc")) -> int | None:
    """The pid of a process listening on TCP ``port`` (Linux ``/proc``; None if unknown)."""
    inodes = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (proc / table).read_text(encoding="utf-8").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                inodes.add(f"socket:[{fields[9]}]")
    return _find_socket_owner(inodes, proc) if inodes else None


def _find_socket_owner(inodes: set[str], proc: Path) -> int | None:
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    return int(entry.name)
            except OSError:
                continue
    return None


def describe_holder(pid: int, proc: Path = Path("/proc")) -> str:
    """``pid N`` and, for a Deltachain node, the home it runs from."""
    try:
        argv = [
            a.decode(errors="replace")
            for a in (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
        ]
    except OSError:
        return f"pid {pid}"
    if "start" in argv and "--home" in argv[:-1]:
        home = argv[argv.index("--home") + 1]
        return f"a Deltachain node of an earlier testnet (pid {pid}, home {home}); stop it first"
    return f"pid {pid} ({' '.join(argv).strip()[:80]})"


def validate_ports_free(nodes: list[tuple[str, Path]]) -> None:
    """Raise :class:`PortInUseError` naming the first taken port (and its holder, if known)."""
    for name, home in nodes:
        for wanted in list_node_ports(name, home):
            if is_port_free(wanted.host, wanted.port):
                continue
            message = f"{wanted.node}'s {wanted.kind} port {wanted.host}:{wanted.port} is taken"
            pid = find_listener_pid(wanted.port)
            if pid is not None:
                message += f" by {describe_holder(pid)}"
            raise PortInUseError(message)
