"""The read side of a running node: what the HTTP API, the CLI and metrics may ask.

``ChainNode`` implements :class:`NodeView`; the API depends only on this protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from consensus.block import FinalizedBlock
from consensus.state import ChainState
from consensus.transactions import SignedTransaction
from consensus.validators import ValidatorSet
from node.storage.chain_store import Contribution, ModelRecord, TxLocation


def compute_percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of ``values``; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


@dataclass(frozen=True)
class StatusReport:
    """A node's status, as ``deltachain status`` and ``GET /status`` show it."""

    chain_id: str
    moniker: str
    peer_id: str
    address: str
    is_validator: bool
    height: int
    round: int
    step: str
    latest_block_hash: str
    latest_block_time_ms: int
    peers: int
    mempool_txs: int
    finality_p50_ms: float | None
    finality_p99_ms: float | None
    models: dict[int, int] = field(default_factory=dict)
    """Task id to current model version."""


class NodeView(Protocol):
    """Read access to a running node plus transaction submission."""

    def get_status(self) -> StatusReport: ...

    def get_chain_state(self) -> ChainState:
        """The state after the latest final block (and its aggregations)."""
        ...

    def get_finalized(self, height: int) -> FinalizedBlock | None: ...

    def find_transaction(self, tx_hash: bytes) -> tuple[TxLocation, SignedTransaction] | None: ...

    def get_models(self, task_id: int) -> list[ModelRecord]: ...

    def get_contributions(self, task_id: int, version: int) -> list[Contribution]: ...

    def get_metrics(self) -> dict[str, float]:
        """Gauges and counters by Prometheus metric name (``deltachain_*``)."""
        ...

    async def submit_transaction(self, stx: SignedTransaction) -> None:
        """Admit to the mempool and gossip; raises ``MempoolError`` with the reason."""
        ...

    def get_validator_set(self, height: int) -> ValidatorSet | None:
        """The validator set that signed ``height``'s commit (None when unknown)."""
        ...

    def get_blob(self, blob_hash: bytes) -> bytes | None:
        """The blob (delta payload or model snapshot) with this SHA-256, if held; a corrupt
        copy raises ``StorageError``."""
        ...

    def put_blob(self, data: bytes) -> bytes:
        """Store a blob (idempotent) and return its SHA-256."""
        ...

    def get_next_nonce(self, address: bytes) -> int:
        """The nonce ``address``'s next transaction needs, counting the mempool's."""
        ...
