"""A bounded buffer of proposals and votes for the next height, replayed when it starts.

Validators that decide a height first move on while slower ones still finish it; their first
messages of the next height would be lost without this buffer. Only messages of the next height,
of rounds below ``FUTURE_ROUNDS``, signed by a member of the validator set we know best, are
kept, at most one per (round, kind, author): the buffer never outgrows 3 x FUTURE_ROUNDS x n.
"""

from __future__ import annotations

from typing import Final

from consensus.bft.events import ProposalMessage
from consensus.bft.state import ConsensusState, FutureKey
from consensus.bft.votes import get_vote_sign_bytes
from consensus.errors import InvalidSignatureError
from consensus.messages import SignedVote

FUTURE_ROUNDS: Final = 4
"""Rounds of the next height that are buffered (rounds 0 to FUTURE_ROUNDS - 1)."""


def get_future_key(message: SignedVote | ProposalMessage) -> FutureKey:
    if isinstance(message, SignedVote):
        vote = message.vote
        return (vote.round, int(vote.vote_type), vote.validator)
    proposal = message.signed.proposal
    return (proposal.round, 0, proposal.proposer)


def buffer_message(state: ConsensusState, message: SignedVote | ProposalMessage) -> ConsensusState:
    """``state`` with ``message`` (of height + 1) buffered, or unchanged if out of bounds.

    Raises InvalidSignatureError for a bad signature, so that no forgery takes an honest
    validator's place in the buffer.
    """
    key = get_future_key(message)
    round_, _, author = key
    if round_ >= FUTURE_ROUNDS or key in state.future or author not in state.validators:
        return state
    if not _is_signature_valid(state, message):
        raise InvalidSignatureError(f"bad signature by {author.hex()[:16]} on a future message")
    return ConsensusState(
        state.chain,
        state.me,
        state.rs,
        state.votes,
        {**state.future, key: message},
        state.last_commit,
        state.verify,
    )


def _is_signature_valid(state: ConsensusState, message: SignedVote | ProposalMessage) -> bool:
    chain_id = state.chain.chain_id
    if isinstance(message, SignedVote):
        sign_bytes = get_vote_sign_bytes(message.vote, chain_id)
        return state.verify(message.vote.validator, sign_bytes, message.signature)
    return message.signed.is_signature_valid(chain_id, state.verify)
