"""Start and drive dev node processes (``python -m node.network.devnode``) from trio.

Used by the multi-process tests and ``scripts/bench_network.py``. Every process is killed
when the :func:`open_devnodes` block ends, whatever happens inside it.
"""

import json
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import trio

Event = dict[str, Any]
_READ_CHUNK = 65536


class DevNode:
    """One dev node process: send commands, wait for events."""

    def __init__(self, process: trio.Process, args: list[str]) -> None:
        self.process = process
        self.args = args
        self.events: list[Event] = []
        self._buffer = b""
        self.peer_id = ""
        self.addr = ""

    async def send(self, **command: Any) -> None:
        if self.process.stdin is None:
            raise RuntimeError("dev node started without a stdin pipe")
        await self.process.stdin.send_all(json.dumps(command).encode() + b"\n")

    async def _read_events(self) -> None:
        if self.process.stdout is None:
            raise RuntimeError("dev node started without a stdout pipe")
        chunk = await self.process.stdout.receive_some(_READ_CHUNK)
        if not chunk:
            raise EOFError(f"dev node exited (rc={self.process.poll()}) args={self.args}")
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        self.events.extend(json.loads(line) for line in lines if line.strip())

    async def expect(self, predicate: Callable[[Event], bool], timeout_s: float = 20.0) -> Event:
        """Wait for (and consume) the first event matching ``predicate``."""
        with trio.fail_after(timeout_s):
            while True:
                for index, event in enumerate(self.events):
                    if predicate(event):
                        return self.events.pop(index)
                await self._read_events()

    async def request(self, op: str, reply: str, timeout_s: float = 20.0, **fields: Any) -> Event:
        await self.send(op=op, **fields)
        return await self.expect(lambda e: e["event"] in (reply, "error"), timeout_s)

    def kill(self) -> None:
        """SIGKILL, like ``kill -9``."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)


class DevNodes:
    """Spawns dev nodes; remembers them so they all die at the end."""

    def __init__(self) -> None:
        self.nodes: list[DevNode] = []

    async def spawn(self, module: str = "node.network.devnode", *args: str) -> DevNode:
        argv = [sys.executable, "-m", module, *args]
        process = await trio.lowlevel.open_process(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        node = DevNode(process, argv)
        self.nodes.append(node)
        return node

    async def start(self, *args: str, timeout_s: float = 30.0) -> DevNode:
        """Spawn a dev node and wait until it listens."""
        return (await self.start_many([list(args)], timeout_s))[0]

    async def start_many(self, argvs: list[list[str]], timeout_s: float = 60.0) -> list[DevNode]:
        """Spawn several dev nodes at once, then wait until each listens."""
        started = [await self.spawn("node.network.devnode", *args) for args in argvs]
        for node in started:
            ready = await node.expect(lambda e: e["event"] == "ready", timeout_s)
            node.peer_id, node.addr = ready["peer_id"], ready["addrs"][0]
        return started

    async def stop_all(self) -> None:
        with trio.CancelScope(shield=True):
            for node in self.nodes:
                node.kill()
            for node in self.nodes:
                await node.process.wait()


@asynccontextmanager
async def open_devnodes() -> AsyncIterator[DevNodes]:
    nodes = DevNodes()
    try:
        yield nodes
    finally:
        await nodes.stop_all()


def get_free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plan_addresses(seed_indices: list[int], ports: list[int]) -> list[str]:
    """Dial addresses the dev nodes with these seeds will have on these loopback ports."""
    from node.network.devnode import make_seed
    from node.network.peer_id import compute_peer_id

    return [
        f"/ip4/127.0.0.1/tcp/{port}/p2p/{compute_peer_id(make_seed(index))}"
        for index, port in zip(seed_indices, ports, strict=True)
    ]
