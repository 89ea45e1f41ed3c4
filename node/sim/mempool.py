"""A simulated validator's mempool: a stream of small transfers from its own account.

Each validator pays 1 unit to the next validator in every transfer, so blocks carry real,
signed transactions and the ledger's fee, nonce and balance rules run in every simulation.
Transactions are generated on demand from the account's nonce in the node's latest chain
state, so a transfer that made it into a block is never offered again.
"""

from __future__ import annotations

from typing import Protocol

from consensus.crypto import KeyPair
from consensus.primitives import Address
from consensus.state import ChainState
from consensus.transactions import SignedTransaction, Transaction, Transfer


class ProposalSource(Protocol):
    """Where a simulated proposer takes its block's transactions from."""

    def pick(self, chain: ChainState) -> tuple[SignedTransaction, ...]:
        """Transactions that apply in order on top of ``chain``."""
        ...


class TransferMempool:
    """Offers ``per_block`` transfers with consecutive nonces from the account's next nonce."""

    __slots__ = ("_cache", "_keypair", "_per_block", "_recipient")

    def __init__(self, keypair: KeyPair, recipient: Address, per_block: int) -> None:
        self._keypair = keypair
        self._recipient = recipient
        self._per_block = per_block
        self._cache: dict[int, SignedTransaction] = {}

    def pick(self, chain: ChainState) -> tuple[SignedTransaction, ...]:
        """Transfers that apply in order on top of ``chain`` (as long as the balance lasts)."""
        account = chain.get_account(self._keypair.address)
        fee = chain.params.min_fee
        affordable = account.balance // (fee + 1)
        count = min(self._per_block, affordable)
        for stale in [n for n in self._cache if n < account.nonce]:
            del self._cache[stale]
        return tuple(self._get(chain, account.nonce + i, fee) for i in range(count))

    def _get(self, chain: ChainState, nonce: int, fee: int) -> SignedTransaction:
        found = self._cache.get(nonce)
        if found is None:
            body = Transfer(self._recipient, 1)
            tx = Transaction(chain.chain_id, self._keypair.address, nonce, fee, body)
            found = SignedTransaction(tx, self._keypair.sign(tx.sign_bytes()))
            self._cache[nonce] = found
        return found
