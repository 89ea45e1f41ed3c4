"""The mempool: transactions waiting for a block, kept valid against the latest final state.

Admission applies the transaction on top of every transaction already admitted (the "check
state"), so only sequences that a block can really contain are kept. After each final block the
pool drops what the block included and re-checks the rest. When full, a transaction that pays a
higher fee per byte evicts the cheapest sender's last transaction (never a gap in a nonce chain).

A model delta trained on the version right after the task's current one comes from a node that
derived that version a moment before us (versions are derived from the same final block on
every node, some milliseconds apart). It is held aside, one per sender and task, and admitted
once our own state has that version: dropping it would leave us without the delta until its
sender re-sends it, seconds later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import trio

from consensus.encoding import encode
from consensus.errors import ConsensusError
from consensus.primitives import Hash32
from consensus.state import ChainState, Task
from consensus.transactions import MAX_TRANSACTION_BYTES, ModelDelta, SignedTransaction
from node.errors import NodeError

logger = logging.getLogger(__name__)

MAX_EARLY_DELTAS = 256
"""Deltas one version ahead of our state held at once (the oldest is dropped first)."""

CheckTx = Callable[[ChainState, SignedTransaction], ChainState]


class MempoolError(NodeError):
    """A transaction was not admitted to the mempool (the message says why)."""


class EarlyDeltaHeldError(MempoolError):
    """A delta one version ahead of our state: held, and admitted once we derive its base."""


@dataclass(frozen=True)
class PooledTx:
    tx: SignedTransaction
    size: int

    @property
    def fee_rate(self) -> float:
        return self.tx.tx.fee / self.size


class Mempool:
    """Pending transactions in admission order, bounded in count and bytes."""

    def __init__(
        self,
        state: ChainState,
        check_tx: CheckTx,
        *,
        max_txs: int = 5_000,
        max_bytes: int = 16 << 20,
    ) -> None:
        self._check_tx = check_tx
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self._base = state
        self._check_state = state
        self._pool: dict[Hash32, PooledTx] = {}
        self._bytes = 0
        self._early: dict[tuple[bytes, int], PooledTx] = {}
        self.added = trio.Event()
        """Set when a transaction is admitted; whoever waits for one replaces it first."""

    def __len__(self) -> int:
        return len(self._pool)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._pool

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def add(self, stx: SignedTransaction) -> None:
        """Admit ``stx`` or raise MempoolError with the reason."""
        if stx.hash in self._pool:
            raise MempoolError("transaction already in the mempool")
        size = len(encode(stx))
        if size > MAX_TRANSACTION_BYTES:
            raise MempoolError(f"transaction of {size} bytes exceeds {MAX_TRANSACTION_BYTES}")
        entry = PooledTx(stx, size)
        if not self._has_room(size):
            self._evict_for(entry)
        try:
            self._check_state = self._check_tx(self._check_state, stx)
        except ConsensusError as exc:
            if self._hold_if_early(entry):
                raise EarlyDeltaHeldError(f"held until its base is derived: {exc}") from None
            raise MempoolError(f"invalid transaction: {exc}") from None
        self._pool[stx.hash] = entry
        self._bytes += size
        self.added.set()

    def _has_room(self, size: int) -> bool:
        return len(self._pool) < self.max_txs and self._bytes + size <= self.max_bytes

    def _evict_for(self, entry: PooledTx) -> None:
        while not self._has_room(entry.size):
            victim = self._cheapest_tail()
            if victim is None or victim.fee_rate >= entry.fee_rate:
                raise MempoolError("mempool is full and the fee rate is too low to evict")
            logger.info("evicting tx=%s fee_rate=%.4f", victim.tx.hash.hex()[:12], victim.fee_rate)
            self._remove({victim.tx.hash})

    def _cheapest_tail(self) -> PooledTx | None:
        tails: dict[bytes, PooledTx] = {}
        for entry in self._pool.values():
            tails[entry.tx.tx.sender] = entry  # the last admitted of each sender
        return min(tails.values(), key=lambda e: (e.fee_rate, e.tx.hash), default=None)

    def reap(self, max_txs: int, max_bytes: int) -> tuple[SignedTransaction, ...]:
        """Transactions for a proposal: admission order, which is valid order, within limits."""
        chosen: list[SignedTransaction] = []
        used = 0
        for entry in self._pool.values():
            if len(chosen) >= max_txs or used + entry.size > max_bytes:
                break
            chosen.append(entry.tx)
            used += entry.size
        return tuple(chosen)

    def update(self, state: ChainState, included: Iterable[Hash32]) -> None:
        """After a final block or a new model version: drop included transactions, re-check
        the rest on ``state``, then admit the held deltas whose base version now exists."""
        self._base = state
        self._remove(set(included))
        self._admit_early()

    @property
    def early_deltas(self) -> int:
        """Deltas held until our state has their base version."""
        return len(self._early)

    def is_held(self, tx_hash: Hash32) -> bool:
        """Whether ``tx_hash`` is a delta held until our state has its base version."""
        return any(entry.tx.hash == tx_hash for entry in self._early.values())

    def _early_key(self, stx: SignedTransaction) -> tuple[bytes, int] | None:
        """(sender, task) for a delta trained on the version after the task's current one."""
        body = stx.tx.body
        if not isinstance(body, ModelDelta):
            return None
        task = self._check_state.tasks.get(body.task_id)
        if task is None or body.base_version != task.version + 1:
            return None
        return stx.tx.sender, body.task_id

    def _hold_if_early(self, entry: PooledTx) -> bool:
        key = self._early_key(entry.tx)
        if key is None:
            return False
        self._early.pop(key, None)
        self._early[key] = entry  # the sender's newest, last in line
        while len(self._early) > MAX_EARLY_DELTAS:
            del self._early[next(iter(self._early))]
        return True

    def _admit_early(self) -> None:
        held, self._early = self._early, {}
        for entry in held.values():
            if entry.tx.hash in self._pool:
                continue
            try:
                self.add(entry.tx)
            except MempoolError:
                continue  # held again while still early; dropped once invalid for good

    def _remove(self, hashes: set[Hash32]) -> None:
        remaining = [e for h, e in self._pool.items() if h not in hashes]
        self._pool, self._bytes = {}, 0
        self._check_state = self._base
        for entry in remaining:
            try:
                self._check_state = self._check_tx(self._check_state, entry.tx)
            except ConsensusError:
                continue  # no longer valid (e.g. its nonce was used, or a gap appeared)
            self._pool[entry.tx.hash] = entry
            self._bytes += entry.size

    def holds_ready_work(self, *, fresh: bool = False) -> bool:
        """Whether a block of the pooled transactions would do more than add deltas to a task
        buffer that stays short of ``min_deltas``: it holds a transaction of another kind, or
        its deltas make a task ready for its next version (with ``fresh``, counting only the
        deltas trained on the task's current version)."""
        if any(not isinstance(e.tx.tx.body, ModelDelta) for e in self._pool.values()):
            return True
        tasks = self._check_state.tasks.values()
        if not fresh:
            return any(task.is_ready() for task in tasks)
        return any(count_fresh_deltas(task) >= max(1, task.spec.min_deltas) for task in tasks)

    def get_next_nonce(self, address: bytes) -> int:
        """The nonce ``address``'s next transaction needs, counting what the pool holds."""
        return self._check_state.get_account(address).nonce

    def get(self, tx_hash: Hash32) -> SignedTransaction | None:
        entry = self._pool.get(tx_hash)
        return None if entry is None else entry.tx


def count_fresh_deltas(task: Task) -> int:
    """How many of the task's pending deltas were trained on its current version."""
    return sum(delta.base_version == task.version for delta in task.pending)
