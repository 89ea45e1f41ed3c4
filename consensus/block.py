"""Blocks, their headers and the commits that finalize them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Final

from consensus.crypto import compute_hash
from consensus.encoding import MaxLen, encode
from consensus.messages import Vote, VoteType
from consensus.primitives import (
    U64,
    AddressField,
    ChainIdField,
    Hash32,
    HashField,
    SignatureField,
)
from consensus.transactions import SignedTransaction

MAX_BLOCK_TXS: Final = 10_000
MAX_COMMIT_SIGNATURES: Final = 1_000


@dataclass(frozen=True)
class BlockHeader:
    """What a block commits to; its hash is the block's identity.

    ``app_hash`` is the state hash after the parent block and everything derived from it (the
    model versions aggregated on its finality), so that a node whose state diverged notices at
    the next block.
    """

    chain_id: ChainIdField
    height: U64
    time_ms: U64
    proposer: AddressField
    parent_hash: HashField
    txs_hash: HashField
    last_commit_hash: HashField
    app_hash: HashField
    validators_hash: HashField

    @functools.cached_property
    def hash(self) -> Hash32:
        return compute_hash(encode(self))


@dataclass(frozen=True)
class CommitSig:
    """One validator's precommit signature inside a commit."""

    validator: AddressField
    signature: SignatureField


@dataclass(frozen=True)
class Commit:
    """Precommits for ``block_hash`` at (``height``, ``round``) from the validators that signed."""

    height: U64
    round: U64
    block_hash: HashField
    signatures: Annotated[tuple[CommitSig, ...], MaxLen(MAX_COMMIT_SIGNATURES)]

    def vote_of(self, sig: CommitSig) -> Vote:
        """The precommit that ``sig`` signs."""
        return Vote(VoteType.PRECOMMIT, self.height, self.round, self.block_hash, sig.validator)

    @functools.cached_property
    def hash(self) -> Hash32:
        return compute_hash(encode(self))


@dataclass(frozen=True)
class Block:
    """A header, its transactions in order, and the commit of the previous block."""

    header: BlockHeader
    txs: Annotated[tuple[SignedTransaction, ...], MaxLen(MAX_BLOCK_TXS)]
    last_commit: Commit | None

    @property
    def hash(self) -> Hash32:
        return self.header.hash

    @property
    def height(self) -> int:
        return self.header.height


@dataclass(frozen=True)
class FinalizedBlock:
    """A block together with the commit that made it final; what block sync transfers."""

    block: Block
    commit: Commit


def compute_txs_hash(txs: tuple[SignedTransaction, ...]) -> Hash32:
    """The header's commitment to the ordered transaction list."""
    return compute_hash(encode([tx.hash for tx in txs]))


def compute_last_commit_hash(commit: Commit | None) -> Hash32:
    """The header's commitment to the previous block's commit (zero hash at height 1)."""
    return bytes(32) if commit is None else commit.hash
