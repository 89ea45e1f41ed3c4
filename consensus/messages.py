"""Votes and proposals: what validators sign during a round of BFT consensus."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import ClassVar

from consensus.crypto import Domain, Verifier, compute_sign_bytes, verify_signature
from consensus.primitives import (
    I64,
    U64,
    AddressField,
    ChainId,
    HashField,
    SignatureField,
)


class VoteType(enum.IntEnum):
    """The two voting steps of a Tendermint round."""

    PREVOTE = 1
    PRECOMMIT = 2


@dataclass(frozen=True)
class Vote:
    """A validator's prevote or precommit for a block (``block_hash``) or for nil (None)."""

    vote_type: VoteType
    height: U64
    round: U64
    block_hash: HashField | None
    validator: AddressField

    def sign_bytes(self, chain_id: ChainId) -> bytes:
        return compute_sign_bytes(Domain.VOTE, chain_id, self)


@dataclass(frozen=True)
class SignedVote:
    """A vote with its author's Ed25519 signature."""

    TAG: ClassVar[int] = 101
    vote: Vote
    signature: SignatureField

    def is_signature_valid(self, chain_id: ChainId, verify: Verifier = verify_signature) -> bool:
        return verify(self.vote.validator, self.vote.sign_bytes(chain_id), self.signature)


@dataclass(frozen=True)
class Proposal:
    """The round's proposer names a block by hash; ``pol_round`` is its valid round or -1."""

    height: U64
    round: U64
    pol_round: I64
    block_hash: HashField
    proposer: AddressField

    def __post_init__(self) -> None:
        if not -1 <= self.pol_round < self.round:
            raise ValueError(f"pol_round {self.pol_round} must be in [-1, round)")

    def sign_bytes(self, chain_id: ChainId) -> bytes:
        return compute_sign_bytes(Domain.PROPOSAL, chain_id, self)


@dataclass(frozen=True)
class SignedProposal:
    """A proposal with the proposer's signature."""

    proposal: Proposal
    signature: SignatureField

    def is_signature_valid(self, chain_id: ChainId, verify: Verifier = verify_signature) -> bool:
        return verify(self.proposal.proposer, self.proposal.sign_bytes(chain_id), self.signature)

    @functools.cached_property
    def key(self) -> tuple[int, int]:
        return (self.proposal.height, self.proposal.round)
