"""Builders for development chains and tests: genesis from keys, signed txs and commits.

These are real constructions (real keys, real signatures) that the simulator, the local
testnet and the tests share, so none of them has to reassemble the envelope by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from consensus.block import Commit, CommitSig
from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate
from consensus.messages import Vote, VoteType
from consensus.params import ChainParams
from consensus.primitives import Amount, ChainId, Hash32, Height, Nonce, Round, TimestampMs
from consensus.transactions import SignedTransaction, Transaction, TxBody


def make_keys(count: int, namespace: int = 0) -> tuple[KeyPair, ...]:
    """``count`` deterministic key pairs (seed = namespace and index); for dev chains only."""
    return tuple(
        KeyPair.from_seed(namespace.to_bytes(16, "big") + i.to_bytes(16, "big"))
        for i in range(count)
    )


def make_devnet_genesis(
    chain_id: ChainId,
    validators: Sequence[KeyPair],
    params: ChainParams | None = None,
    *,
    stake: Amount = 1_000_000,
    balance: Amount = 1_000_000_000,
    time_ms: TimestampMs = 0,
    others: Iterable[KeyPair] = (),
) -> Genesis:
    """A genesis where each validator is a candidate that bonds ``stake`` and votes for itself;
    every key (validators and ``others``) starts with ``balance``."""
    accounts = [
        GenesisAccount(key.address, balance=balance, bonded=stake, votes=(key.address,))
        for key in validators
    ]
    accounts += [GenesisAccount(key.address, balance=balance) for key in others]
    candidates = tuple(
        GenesisCandidate(key.address, f"validator-{i}") for i, key in enumerate(validators)
    )
    return Genesis(
        chain_id=chain_id,
        time_ms=time_ms,
        params=params or ChainParams(),
        accounts=tuple(accounts),
        candidates=candidates,
    )


def sign_transaction(
    key: KeyPair, chain_id: ChainId, nonce: Nonce, body: TxBody, fee: Amount = 1
) -> SignedTransaction:
    """``body`` in an envelope from ``key``, signed."""
    tx = Transaction(chain_id=chain_id, sender=key.address, nonce=nonce, fee=fee, body=body)
    return SignedTransaction(tx=tx, signature=key.sign(tx.sign_bytes()))


def sign_commit(
    keys: Iterable[KeyPair], chain_id: ChainId, height: Height, round_: Round, block_hash: Hash32
) -> Commit:
    """A commit with precommits for ``block_hash`` by ``keys`` (sorted by address)."""
    signatures = []
    for key in sorted(keys, key=lambda k: k.address):
        vote = Vote(VoteType.PRECOMMIT, height, round_, block_hash, key.address)
        signatures.append(CommitSig(key.address, key.sign(vote.sign_bytes(chain_id))))
    return Commit(height=height, round=round_, block_hash=block_hash, signatures=tuple(signatures))
