"""Transactions in a simulated scenario: submitting, gossiping, admitting, spam and joining.

As on a real node, a node admits a gossiped delta only if it can get its payload (the
data-availability gate), re-gossips its own waiting transactions every two seconds, submits
double-sign evidence it finds as a transaction, and a spammer's invalid transactions are
offered to every peer's mempool (which rejects them).
"""

from __future__ import annotations

import logging

from consensus.ledger.devnet import sign_transaction
from consensus.transactions import (
    Bond,
    ModelDelta,
    RegisterCandidate,
    SignedTransaction,
    Transaction,
    Transfer,
    TxBody,
    VoteCandidates,
)
from node.chain.mempool import MempoolError
from node.scenario.simulate.events import TxGossip
from node.scenario.simulate.scene import Scene

logger = logging.getLogger(__name__)

RESEND_MS = 2_000
SPAM_MS = 1_000
SPAM_NONCE_GAP = 1_000_000


class TxService:
    """The transaction side of every simulated node."""

    __slots__ = ("_sim", "counters")

    def __init__(self, sim: Scene) -> None:
        self._sim = sim
        self.counters: dict[str, int] = {
            "txs_submitted": 0,
            "txs_refused_own": 0,
            "txs_rejected": 0,
            "deltas_unavailable": 0,
            "spam_sent": 0,
            "spam_rejected": 0,
            "spam_admitted": 0,
        }

    def submit(self, index: int, body: TxBody) -> bool:
        """Sign ``body`` with node ``index``'s key at its next nonce, admit it and gossip it."""
        sim = self._sim
        chain = sim.nodes[index].state.chain
        pool = sim.pools[index]
        nonce = pool.mempool.get_next_nonce(sim.world.keys[index].address)
        stx = sign_transaction(
            sim.world.keys[index], chain.chain_id, nonce, body, fee=chain.params.min_fee
        )
        try:
            pool.submit(stx)
        except MempoolError as exc:
            logger.debug("own tx refused node=%d reason=%s", index, exc)
            self.counters["txs_refused_own"] += 1
            return False
        self.counters["txs_submitted"] += 1
        self.gossip(index, stx)
        return True

    def gossip(self, src: int, stx: SignedTransaction) -> None:
        sim = self._sim
        sim.send_external(src, sim.nodes[src].behaviour.peers, TxGossip(src, stx))

    def on_tx(self, index: int, gossip: TxGossip) -> None:
        """A gossiped transaction reaches node ``index``: the DA gate, then its mempool."""
        sim, stx = self._sim, gossip.stx
        body = stx.tx.body
        if isinstance(body, ModelDelta) and not sim.learning.is_available(body.payload_hash, index):
            self.counters["deltas_unavailable"] += 1
            return
        mempool = sim.pools[index].mempool
        if stx.hash in mempool:
            return
        from_spammer = gossip.src in sim.spammers
        try:
            mempool.add(stx)
        except MempoolError:
            self.counters["spam_rejected" if from_spammer else "txs_rejected"] += 1
            return
        if from_spammer:
            self.counters["spam_admitted"] += 1

    def resend(self, index: int) -> None:
        for stx in self._sim.pools[index].get_pending_local():
            self.gossip(index, stx)

    def spam(self, index: int, tick: int) -> None:
        """Two invalid transactions: a corrupted signature and a nonce far ahead."""
        sim = self._sim
        key = sim.world.keys[index]
        chain = sim.nodes[index].state.chain
        nonce = chain.get_account(key.address).nonce
        body = Transfer(key.address, 1 + tick)
        tx = Transaction(chain.chain_id, key.address, nonce, chain.params.min_fee, body)
        signature = key.sign(tx.sign_bytes())
        bad_signature = SignedTransaction(tx, bytes([signature[0] ^ 0xFF]) + signature[1:])
        far_nonce = sign_transaction(key, chain.chain_id, nonce + SPAM_NONCE_GAP, body)
        for stx in (bad_signature, far_nonce):
            self.counters["spam_sent"] += 1
            self.gossip(index, stx)

    def join(self, index: int) -> None:
        """A synced ``join_as_candidate`` node registers, bonds and votes for itself."""
        sim = self._sim
        spec = sim.world.manifest.nodes[index]
        address = sim.world.keys[index].address
        self.submit(index, RegisterCandidate(spec.name))
        self.submit(index, Bond(spec.join_bond))
        self.submit(index, VoteCandidates((address,)))
