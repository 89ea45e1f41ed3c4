"""The workload's clients: funded accounts that submit transfers to random nodes, one at a time.

Each account keeps its own nonce and has at most one transaction outstanding. A transaction
that is not final ``resubmit_after_s`` after it was last sent is sent again, unchanged (same
nonce, same hash) to another random node: a node that restarted lost its mempool, and
re-submitting is the client's job. A re-submission refused because the account's nonce moved
past it while the transaction itself is not final means another transaction took its nonce:
the client gives it up, keeping the API's reason (``dropped``). The clients reach nodes through
a :class:`Gateway` (the HTTP API of real processes, or the simulator's nodes), so both modes
share this logic; time is passed in.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from consensus.crypto import KeyPair
from consensus.ledger.devnet import sign_transaction
from consensus.transactions import SignedTransaction, Transfer
from node.scenario.manifest import Manifest, WorkloadSpec
from node.scenario.workload import Attempt, ClientTx, Outcome

CHECK_EVERY_S = 0.5
"""How often an account asks whether its outstanding transaction is final."""
IN_MEMPOOL = "already in the mempool"


def get_workload_keys(manifest: Manifest) -> tuple[KeyPair, ...]:
    """The workload's accounts (funded at genesis by ``build_genesis``): a pure function of the
    scenario's name, for dev networks only."""
    return tuple(
        KeyPair.from_seed(
            hashlib.sha256(f"deltachain-scenario/{manifest.name}/workload/{i}".encode()).digest()
        )
        for i in range(manifest.workload.accounts)
    )


class Gateway(Protocol):
    """How the clients reach a node (by manifest name)."""

    def submit(self, node: str, stx: SignedTransaction) -> Attempt: ...

    def is_final(self, node: str, tx_hash: bytes) -> bool | None:
        """Whether ``tx_hash`` is in a final block on ``node``; None when it does not answer."""
        ...

    def get_nonce(self, node: str, address: bytes) -> int | None:
        """The account's nonce in ``node``'s final state; None when it does not answer."""
        ...


@dataclass
class _Account:
    key: KeyPair
    recipient: bytes
    next_nonce: int = 0
    pending: tuple[ClientTx, SignedTransaction] | None = None
    sent_s: float = 0.0
    checked_s: float = 0.0


class WorkloadClients:
    """Every workload account's client; call :meth:`step` periodically."""

    def __init__(
        self,
        spec: WorkloadSpec,
        keys: Sequence[KeyPair],
        *,
        chain_id: str,
        fee: int,
        nodes: Sequence[str],
        gateway: Gateway,
        rng: random.Random,
    ) -> None:
        self.spec = spec
        self.chain_id = chain_id
        self.fee = fee
        self.nodes = tuple(nodes)
        self.gateway = gateway
        self.rng = rng
        self.history: list[ClientTx] = []
        self._by_hash: dict[bytes, ClientTx] = {}
        self._accounts = [
            _Account(key, keys[(i + 1) % len(keys)].address) for i, key in enumerate(keys)
        ]

    @property
    def outstanding(self) -> int:
        return sum(a.pending is not None for a in self._accounts)

    def step(self, now_s: float, *, submit_new: bool = True) -> None:
        """One action per account: submit a new transfer, check, or re-submit."""
        for account in self._accounts:
            if account.pending is None:
                if submit_new:
                    self._submit_new(account, now_s)
            elif now_s - account.checked_s >= CHECK_EVERY_S:
                self._follow_up(account, now_s)

    def _submit_new(self, account: _Account, now_s: float) -> None:
        body = Transfer(account.recipient, self.spec.amount)
        stx = sign_transaction(account.key, self.chain_id, account.next_nonce, body, self.fee)
        tx = self._by_hash.get(stx.hash)  # the same transfer again, after a refusal
        if tx is None:
            tx = ClientTx(
                stx.hash.hex(),
                account.key.address.hex(),
                account.recipient.hex(),
                account.next_nonce,
                self.spec.amount,
                self.fee,
            )
            self.history.append(tx)
            self._by_hash[stx.hash] = tx
        attempt = self._send(tx, stx, account, now_s)
        if attempt.outcome is Outcome.REFUSED:
            self._resync_nonce(account, attempt.node)
        else:
            account.pending = (tx, stx)

    def _send(
        self, tx: ClientTx, stx: SignedTransaction, account: _Account, now_s: float
    ) -> Attempt:
        attempt = self.gateway.submit(self.rng.choice(self.nodes), stx)
        tx.attempts.append(attempt)
        account.sent_s = account.checked_s = now_s
        return attempt

    def _follow_up(self, account: _Account, now_s: float) -> None:
        if account.pending is None:
            return
        tx, stx = account.pending
        account.checked_s = now_s
        node = self.rng.choice(self.nodes)
        final = self.gateway.is_final(node, stx.hash)
        if final:
            self._settle(account, tx.nonce + 1)
            return
        if final is None or now_s - account.sent_s < self.spec.resubmit_after_s:
            return
        attempt = self._send(tx, stx, account, now_s)
        if attempt.outcome is not Outcome.REFUSED or IN_MEMPOOL in attempt.reason:
            return
        if self.gateway.is_final(attempt.node, stx.hash):
            self._settle(account, tx.nonce + 1)
            return
        nonce = self.gateway.get_nonce(attempt.node, account.key.address)
        if nonce is not None and nonce > tx.nonce:  # another transaction took its nonce
            tx.dropped = attempt.reason
            self._settle(account, nonce)

    def _settle(self, account: _Account, next_nonce: int) -> None:
        account.pending = None
        account.next_nonce = next_nonce

    def _resync_nonce(self, account: _Account, node: str) -> None:
        """After a refusal of a new transaction: its nonce may be stale (not below the chain)."""
        nonce = self.gateway.get_nonce(node, account.key.address)
        if nonce is not None and nonce > account.next_nonce:
            account.next_nonce = nonce
