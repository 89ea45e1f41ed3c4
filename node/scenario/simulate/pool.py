"""A simulated node's mempool: the real ``node.chain.mempool.Mempool`` as the proposer's source.

Admission runs the ledger's ``process_transaction`` (signature, nonce, fee, task rules) with the
run's shared caching verifier, so a transaction gossiped to N nodes is verified once.
"""

from __future__ import annotations

from consensus.ledger import process_transaction
from consensus.primitives import Hash32
from consensus.state import ChainState
from consensus.transactions import SignedTransaction
from node.chain.driver import MAX_GOSSIPED_BLOCK_TXS_BYTES
from node.chain.mempool import Mempool
from node.sim.verifier import CachingVerifier


class NodePool:
    """One node's mempool and the transactions it submitted itself (re-gossiped while pending)."""

    __slots__ = ("_verifier", "local", "mempool")

    def __init__(self, chain: ChainState, verifier: CachingVerifier) -> None:
        self._verifier = verifier
        self.mempool = Mempool(chain, self._check)
        self.local: dict[Hash32, SignedTransaction] = {}

    def _check(self, state: ChainState, stx: SignedTransaction) -> ChainState:
        return process_transaction(state, stx, self._verifier)

    def pick(self, chain: ChainState) -> tuple[SignedTransaction, ...]:
        """What the node's driver reaps for a proposal (same limits as the real driver)."""
        params = chain.params
        max_bytes = min(params.max_block_bytes, MAX_GOSSIPED_BLOCK_TXS_BYTES)
        return self.mempool.reap(params.max_block_txs, max_bytes)

    def submit(self, stx: SignedTransaction) -> None:
        """Admit our own transaction (raises MempoolError) and keep it for re-gossip."""
        self.mempool.add(stx)
        self.local[stx.hash] = stx

    def get_pending_local(self) -> list[SignedTransaction]:
        """Our transactions still waiting (the rest were included or became invalid)."""
        for tx_hash in [h for h in self.local if h not in self.mempool]:
            del self.local[tx_hash]
        return list(self.local.values())

    def reset(self, chain: ChainState) -> None:
        """After a crash: the in-memory pool is gone."""
        self.mempool = Mempool(chain, self._check)
        self.local = {}
