"""Real chain nodes for the API tests: a 4-validator memory network with a genesis task, and a
one-validator node served over a real socket from a background thread (real clock)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import trio

from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisTask
from consensus.ledger.devnet import make_devnet_genesis, make_keys
from consensus.transactions import CreateTask
from node.api import serve_api
from node.chain.chain_node import ChainNode
from node.network.config import NetworkConfig
from node.network.memory import MemoryHub, MemoryNetwork
from node.network.peer_id import compute_peer_id
from node.network.values import Providers

CHAIN_ID = "apinet"
KEYS = make_keys(4, namespace=60)
USER = make_keys(1, namespace=61)[0]
SPEC = CreateTask(
    model_id="mlp-mnist",
    initial_model_hash=b"\x22" * 32,
    aggregation={"rule": "fedavg"},
    min_deltas=2,
    max_staleness=1,
    clip_norm=5.0,
    reward_per_delta=100,
    reward_pool=1_000,
    max_payload_bytes=1_000,
)


def make_genesis(keys: Sequence[KeyPair]) -> Genesis:
    base = make_devnet_genesis(CHAIN_ID, keys, time_ms=1_000, others=(USER,))
    return Genesis(
        chain_id=base.chain_id,
        time_ms=base.time_ms,
        params=base.params,
        accounts=base.accounts,
        candidates=base.candidates,
        tasks=(GenesisTask(keys[0].address, SPEC),),
    )


def make_node(hub: MemoryHub, key: KeyPair, home: Path, keys: Sequence[KeyPair]) -> ChainNode:
    bootstrap = tuple(f"/memory/p2p/{compute_peer_id(k.seed)}" for k in keys if k != key)

    def factory(providers: Providers) -> MemoryNetwork:
        config = NetworkConfig(chain_id=CHAIN_ID, key_seed=key.seed, bootstrap_peers=bootstrap)
        return MemoryNetwork(hub, config, providers)

    return ChainNode(
        make_genesis(keys),
        key=key,
        data_dir=home,
        network_factory=factory,
        now_ms=lambda: int(trio.current_time() * 1000),
        moniker="api-test",
    )


async def wait_for_height(node: ChainNode, height: int) -> None:
    while node.get_chain_state().height < height:
        await trio.sleep(0.05)


class ServedNode:
    """A one-validator node and its API on a real socket, in a thread with its own trio run."""

    def __init__(
        self,
        home: Path,
        host: str = "127.0.0.1",
        token: str = "",
        make: Callable[[Path], ChainNode] | None = None,
        extra: Callable[[ChainNode], Awaitable[None]] | None = None,
    ) -> None:
        """``make(home)`` builds the node (default: a one-validator node of this genesis);
        ``extra(node)``, when given, runs beside it in the node's trio thread."""
        self.home, self.host, self.token = home, host, token
        self._make = make or (lambda home: make_node(MemoryHub(), KEYS[0], home, KEYS[:1]))
        self._extra = extra
        self._ports: queue.Queue[int | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)
        self._stop: trio.Event | None = None
        self._trio_token: trio.lowlevel.TrioToken | None = None
        self.port = 0

    def __enter__(self) -> ServedNode:
        self._thread.start()
        outcome = self._ports.get(timeout=30)
        if isinstance(outcome, BaseException):
            raise outcome
        self.port = outcome
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None and self._trio_token is not None:
            trio.from_thread.run_sync(self._stop.set, trio_token=self._trio_token)
        self._thread.join(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _main(self) -> None:
        self._stop = trio.Event()
        self._trio_token = trio.lowlevel.current_trio_token()
        try:
            node = self._make(self.home)
            async with trio.open_nursery() as nursery:
                await nursery.start(node.run)
                port = await nursery.start(serve_api, node, self.host, 0, self.token)
                if self._extra is not None:
                    nursery.start_soon(self._extra, node)
                self._ports.put(port)
                await self._stop.wait()
                nursery.cancel_scope.cancel()
        except BaseException as exc:
            self._ports.put(exc)
            raise
