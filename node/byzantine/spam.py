"""Invalid transactions for the ``spammer`` role, as gossip messages (pure builders).

Each kind breaks a different check of the honest nodes: the gossip validator rejects a bad
signature, a foreign chain id, bytes that are not CBOR and a message over the transaction size
limit (and scores the forwarder down for each); a nonce far ahead passes the validator but the
mempool refuses it. ``index`` makes every message unique, since gossip drops repeated bytes.
"""

from __future__ import annotations

import enum
from typing import Final

from consensus.crypto import KeyPair, compute_hash
from consensus.transactions import (
    RegisterCandidate,
    SignedTransaction,
    Transaction,
    Transfer,
    TxBody,
)
from node.chain.gossip import MAX_RESEND, MAX_TX_GOSSIP, encode_gossip


class SpamKind(enum.Enum):
    """What is wrong with one spam message."""

    BAD_SIGNATURE = "bad_signature"
    WRONG_CHAIN = "wrong_chain"
    GARBAGE = "garbage"
    BAD_NONCE = "bad_nonce"
    OVERSIZE = "oversize"


SPAM_KINDS: Final = tuple(SpamKind)
NONCE_GAP: Final = 1_000_000
"""How far ahead of the account's nonce a ``BAD_NONCE`` transaction claims to be."""
OVERSIZE_BYTES: Final = MAX_TX_GOSSIP + 1024
FORGED_CHAIN_SUFFIX: Final = "-forged"
GARBAGE_PREFIX: Final = b"\xff"
"""A CBOR "break" byte where a value must start: no decoder accepts it."""


def make_spam(kind: SpamKind, index: int, key: KeyPair, chain_id: str, nonce: int) -> bytes:
    """One invalid transaction message of ``kind`` by ``key``, whose account is at ``nonce``."""
    if kind is SpamKind.GARBAGE:
        return GARBAGE_PREFIX + compute_hash(b"deltachain/spam/%d" % index)
    body: TxBody = Transfer(key.address, 1 + index)
    if kind is SpamKind.OVERSIZE:
        body = RegisterCandidate("x" * OVERSIZE_BYTES)
    if kind is SpamKind.BAD_NONCE:
        nonce += NONCE_GAP + index
    tx_chain = chain_id + FORGED_CHAIN_SUFFIX if kind is SpamKind.WRONG_CHAIN else chain_id
    tx = Transaction(tx_chain, key.address, nonce, 1, body)
    signature = key.sign(tx.sign_bytes())
    if kind is SpamKind.BAD_SIGNATURE:
        signature = bytes([signature[0] ^ 0xFF]) + signature[1:]
    return encode_gossip(SignedTransaction(tx, signature), index % MAX_RESEND)
