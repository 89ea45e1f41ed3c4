"""A live one-validator chain that learns, for the dashboard's tests: a real node (wall clock)
served on a real socket, a feeder beside it that submits a transfer and one model delta per
version (what a trainer does) and records each version's accuracy (what its evaluator does).

The genesis also registers a candidate whose moniker is hostile HTML, so every page that names
candidates shows it, escaped.
"""

from __future__ import annotations

import dataclasses
import http.client
import time
from dataclasses import dataclass, field
from pathlib import Path

import trio

from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import ModelDelta, Transfer
from node.chain.chain_node import ChainNode
from node.network.config import NetworkConfig
from node.network.memory import MemoryHub, MemoryNetwork
from node.network.values import Providers
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task
from node.storage.blobs import BlobStore
from tests.node.learning.test_learning_on_finality import make_delta

CHAIN_ID = "dashnet"
KEY, HOSTILE, USER = make_keys(3, namespace=91)
HOSTILE_MONIKER = '<img src=x onerror="alert(1)">&<b>"'
OPTIONS = TestnetOptions(
    validators=1,
    chain_id=CHAIN_ID,
    task=TaskOptions(model_id="logreg-digits", min_deltas=1, max_staleness=1),
)
TASK, SNAPSHOT = build_task(OPTIONS)


def make_genesis() -> Genesis:
    base = build_genesis(OPTIONS, [KEY], TASK)
    others = (
        GenesisAccount(HOSTILE.address, balance=1_000),
        GenesisAccount(USER.address, balance=1_000_000),
    )
    return dataclasses.replace(
        base,
        time_ms=int(time.time() * 1000),
        accounts=base.accounts + others,
        candidates=(*base.candidates, GenesisCandidate(HOSTILE.address, HOSTILE_MONIKER)),
    )


def compute_accuracy(version: int) -> float:
    """The accuracy the feeder records for ``version`` (a rising curve)."""
    return round(0.55 + 0.4 * (1 - 0.7**version), 4)


def make_live_node(home: Path) -> ChainNode:
    """The validator, alone on a memory hub, with the task's initial snapshot in its blobs."""
    BlobStore(home / "blobs").put(SNAPSHOT)

    def factory(providers: Providers) -> MemoryNetwork:
        config = NetworkConfig(chain_id=CHAIN_ID, key_seed=KEY.seed)
        return MemoryNetwork(MemoryHub(), config, providers)

    return ChainNode(
        make_genesis(),
        key=KEY,
        data_dir=home,
        network_factory=factory,
        now_ms=lambda: int(time.time() * 1000),
        moniker="dash-node",
    )


@dataclass
class Feeder:
    """Submits what makes ``versions`` model versions, then only watches; what it sent is
    readable from other threads once ``done`` is set."""

    versions: int
    transfer_hash: bytes = b""
    delta_hashes: list[bytes] = field(default_factory=list)
    done: bool = False

    async def run(self, node: ChainNode) -> None:
        transfer = sign_transaction(USER, CHAIN_ID, 0, Transfer(HOSTILE.address, 777))
        await node.submit_transaction(transfer)
        self.transfer_hash = transfer.hash
        while True:
            self._record_accuracy(node)
            task = node.get_chain_state().tasks[1]
            if task.version >= self.versions:
                self.done = True
            elif not task.pending and len(self.delta_hashes) == task.version:
                await self._submit_delta(node, task.version)
            await trio.sleep(0.05)

    async def _submit_delta(self, node: ChainNode, base_version: int) -> None:
        payload = make_delta(base_version)
        payload_hash = node.storage.blobs.put(payload)
        body = ModelDelta(1, base_version, payload_hash, len(payload), 100)
        stx = sign_transaction(KEY, CHAIN_ID, node.get_next_nonce(KEY.address), body)
        await node.submit_transaction(stx)
        self.delta_hashes.append(stx.hash)

    @staticmethod
    def _record_accuracy(node: ChainNode) -> None:
        for record in node.get_models(1):
            if record.accuracy is None:
                node.storage.store.set_model_accuracy(
                    1, record.version, compute_accuracy(record.version)
                )


@dataclass(frozen=True)
class Page:
    """One HTTP answer from the dashboard."""

    status: int
    headers: dict[str, str]
    text: str


def fetch_page(base_url: str, path: str, method: str = "GET") -> Page:
    """``method path`` on the node, redirects not followed."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    headers = {k.lower(): v for k, v in response.getheaders()}
    return Page(response.status, headers, body.decode("utf-8"))
