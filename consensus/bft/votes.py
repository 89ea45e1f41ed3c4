"""Vote sets: the votes of one height, tallied per (round, vote type) with voting power.

Every update builds a new small record (one vote set, one mapping of sets); nothing is copied
deeply, so adding a vote costs time proportional to the size of one vote set at most.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from consensus.block import Commit, CommitSig
from consensus.messages import SignedVote, Vote, VoteType
from consensus.primitives import Address, ChainId, Hash32, Round, Stake


class VoteStatus(enum.Enum):
    """How a vote relates to what a height's vote sets already hold."""

    NEW = "new"
    DUPLICATE = "duplicate"
    CONFLICTING = "conflicting"


@dataclass(frozen=True)
class VoteSet:
    """The votes of one (round, type) and the power behind each value (block hash or nil).

    ``votes`` holds each validator's first vote; ``total`` counts each validator once. An
    equivocator's later, conflicting votes are kept in ``extra`` and count for their value too:
    as in the paper, a value's tally is the power of the distinct validators that voted for it,
    so two values never both reach a quorum unless more than a third of the power is faulty,
    and every node can still verify a quorum that another node saw.
    """

    votes: Mapping[Address, SignedVote] = field(default_factory=dict)
    power: Mapping[Hash32 | None, Stake] = field(default_factory=dict)
    total: Stake = 0
    extra: Mapping[Address, tuple[SignedVote, ...]] = field(default_factory=dict)

    def get_power(self, block_hash: Hash32 | None) -> Stake:
        return self.power.get(block_hash, 0)

    def get_vote_for(self, validator: Address, block_hash: Hash32 | None) -> SignedVote | None:
        """The validator's vote for ``block_hash`` (first or conflicting), if it cast one."""
        first = self.votes.get(validator)
        if first is not None and first.vote.block_hash == block_hash:
            return first
        return next(
            (v for v in self.extra.get(validator, ()) if v.vote.block_hash == block_hash), None
        )


EMPTY_VOTE_SET = VoteSet()


@dataclass(frozen=True)
class HeightVotes:
    """All vote sets of one height, the power seen per round and the known equivocators.

    Prevotes and precommits live in two mappings keyed by round (integer keys hash fast; the
    engine looks a vote set up several times per vote).
    """

    prevotes: Mapping[Round, VoteSet] = field(default_factory=dict)
    precommits: Mapping[Round, VoteSet] = field(default_factory=dict)
    round_power: Mapping[Round, Stake] = field(default_factory=dict)
    equivocators: frozenset[Address] = frozenset()

    def get(self, round_: Round, vote_type: VoteType) -> VoteSet:
        sets = self.prevotes if vote_type is VoteType.PREVOTE else self.precommits
        return sets.get(round_, EMPTY_VOTE_SET)

    def get_round_power(self, round_: Round) -> Stake:
        """Power of the distinct validators with any vote in ``round_``."""
        return self.round_power.get(round_, 0)


EMPTY_HEIGHT_VOTES = HeightVotes()


def get_vote_status(votes: HeightVotes, vote: Vote) -> VoteStatus:
    """Whether ``vote`` is new, a repeat of one of the validator's votes, or conflicts."""
    vote_set = votes.get(vote.round, vote.vote_type)
    if vote.validator not in vote_set.votes:
        return VoteStatus.NEW
    known = vote_set.get_vote_for(vote.validator, vote.block_hash)
    return VoteStatus.DUPLICATE if known is not None else VoteStatus.CONFLICTING


def get_first_vote(votes: HeightVotes, vote: Vote) -> SignedVote | None:
    """The vote the validator cast first for the (round, type) of ``vote``, if any."""
    return votes.get(vote.round, vote.vote_type).votes.get(vote.validator)


def add_vote(votes: HeightVotes, signed: SignedVote, power: Stake) -> HeightVotes:
    """``votes`` with a NEW vote of a validator of voting power ``power`` added."""
    vote = signed.vote
    round_ = vote.round
    is_prevote = vote.vote_type is VoteType.PREVOTE
    sets, others = (
        (votes.prevotes, votes.precommits) if is_prevote else (votes.precommits, votes.prevotes)
    )
    old = sets.get(round_, EMPTY_VOTE_SET)
    block_hash = vote.block_hash
    new_set = VoteSet(
        {**old.votes, vote.validator: signed},
        {**old.power, block_hash: old.power.get(block_hash, 0) + power},
        old.total + power,
        old.extra,
    )
    round_power = votes.round_power
    if vote.validator not in others.get(round_, EMPTY_VOTE_SET).votes:
        round_power = {**round_power, round_: round_power.get(round_, 0) + power}
    return _with_set(votes, is_prevote, round_, new_set, round_power)


def _with_set(
    votes: HeightVotes,
    is_prevote: bool,
    round_: Round,
    vote_set: VoteSet,
    round_power: Mapping[Round, Stake],
) -> HeightVotes:
    if is_prevote:
        prevotes = {**votes.prevotes, round_: vote_set}
        return HeightVotes(prevotes, votes.precommits, round_power, votes.equivocators)
    precommits = {**votes.precommits, round_: vote_set}
    return HeightVotes(votes.prevotes, precommits, round_power, votes.equivocators)


def count_extra_values(votes: HeightVotes, vote: Vote) -> int:
    """How many conflicting values the validator has counted in this (round, type)."""
    return len(votes.get(vote.round, vote.vote_type).extra.get(vote.validator, ()))


def add_conflicting_vote(votes: HeightVotes, signed: SignedVote, power: Stake) -> HeightVotes:
    """``votes`` with an equivocator's CONFLICTING vote counted for its value."""
    vote = signed.vote
    old = votes.get(vote.round, vote.vote_type)
    block_hash = vote.block_hash
    new_set = VoteSet(
        old.votes,
        {**old.power, block_hash: old.power.get(block_hash, 0) + power},
        old.total,
        {**old.extra, vote.validator: (*old.extra.get(vote.validator, ()), signed)},
    )
    is_prevote = vote.vote_type is VoteType.PREVOTE
    return _with_set(votes, is_prevote, vote.round, new_set, votes.round_power)


def add_equivocator(votes: HeightVotes, validator: Address) -> HeightVotes:
    return HeightVotes(
        votes.prevotes, votes.precommits, votes.round_power, votes.equivocators | {validator}
    )


def compute_commit(votes: HeightVotes, height: int, round_: Round, block_hash: Hash32) -> Commit:
    """The commit made of every precommit for ``block_hash`` in ``round_``, sorted by address."""
    precommits = votes.get(round_, VoteType.PRECOMMIT)
    chosen = (precommits.get_vote_for(address, block_hash) for address in sorted(precommits.votes))
    signatures = tuple(CommitSig(v.vote.validator, v.signature) for v in chosen if v is not None)
    return Commit(height, round_, block_hash, signatures)


@functools.lru_cache(maxsize=1 << 12)
def get_vote_sign_bytes(vote: Vote, chain_id: ChainId) -> bytes:
    """``vote.sign_bytes(chain_id)``, memoised: every node of a simulation checks the same votes.

    The votes of a few recent heights are enough for that; a larger memo only grows a node's
    memory for thousands of heights before it levels off (~350 bytes a vote)."""
    return vote.sign_bytes(chain_id)
