"""Fixtures for the network tests: node factories for both implementations."""

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
import trio

from node.network.config import NetworkConfig, RedialParams
from node.network.devnode_control import get_free_port
from node.network.memory import MemoryNetwork
from node.network.memory_hub import MemoryHub
from node.network.peer_id import compute_peer_id
from node.network.port import NetworkPort
from node.network.store import MemoryStore

if TYPE_CHECKING:
    from trio_typing import TaskStatus  # trio-stubs (from trio-typing) hide trio.TaskStatus

CHAIN = "testchain"
GENESIS = hashlib.sha256(b"genesis").digest()
FAST_REDIAL = RedialParams(initial_s=0.05, factor=2.0, max_s=0.5, check_s=0.05)


def make_seed(index: int) -> bytes:
    return hashlib.sha256(b"seed-%d" % index).digest()


def make_config(index: int, **changes: object) -> NetworkConfig:
    config = NetworkConfig(CHAIN, make_seed(index), redial=FAST_REDIAL)
    return replace(config, **changes)  # type: ignore[arg-type]


async def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll ``predicate`` every 10 ms until it holds; fail the test after ``timeout_s``."""
    with trio.fail_after(timeout_s):
        while not predicate():
            await trio.sleep(0.01)


class NodeFactory:
    """Starts nodes of one implementation inside a test; all stop at the end."""

    def __init__(self, kind: str, nursery: trio.Nursery) -> None:
        self.kind = kind
        self._nursery = nursery
        self.hub = MemoryHub()

    def build(self, config: NetworkConfig, store: MemoryStore) -> NetworkPort:
        if self.kind == "memory":
            return MemoryNetwork(self.hub, config, store.providers())
        from node.network.libp2p_network import Libp2pNetwork

        return Libp2pNetwork(config, store.providers())

    def plan_address(self, index: int) -> tuple[dict[str, object], str]:
        """Config changes and the dial address node ``index`` will have once started."""
        peer = compute_peer_id(make_seed(index))
        if self.kind == "memory":
            return {}, f"/memory/p2p/{peer}"
        listen = f"/ip4/127.0.0.1/tcp/{get_free_port()}"
        return {"listen_addrs": (listen,)}, f"{listen}/p2p/{peer}"

    async def start(
        self, index: int, store: MemoryStore | None = None, **changes: object
    ) -> tuple[NetworkPort, MemoryStore]:
        store = store or MemoryStore(CHAIN, GENESIS)
        node = self.build(make_config(index, **changes), store)
        await self._nursery.start(run_node, node)
        return node, store

    async def start_connected(self, count: int) -> list[NetworkPort]:
        """``count`` nodes, each dialing all earlier ones (full mesh)."""
        nodes = [(await self.start(i))[0] for i in range(count)]
        for i, node in enumerate(nodes):
            for earlier in nodes[:i]:
                await node.connect(earlier.listen_addrs()[0])
        return nodes


StartFn = Callable[..., Awaitable[tuple[NetworkPort, MemoryStore]]]


async def run_node(
    node: NetworkPort, *, task_status: "TaskStatus[None]" = trio.TASK_STATUS_IGNORED
) -> None:
    """Task: run ``node`` until cancelled."""
    async with node:
        task_status.started()
        await trio.sleep_forever()


@pytest.fixture(params=["memory", "libp2p"])
async def factory(request: pytest.FixtureRequest) -> AsyncIterator[NodeFactory]:
    async with trio.open_nursery() as nursery:
        yield NodeFactory(request.param, nursery)
        nursery.cancel_scope.cancel()
