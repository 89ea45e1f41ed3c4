"""The next-height buffer: what it keeps, what it refuses, and its bound."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.bft.buffer import FUTURE_ROUNDS
from consensus.bft.engine import on_proposal, on_start, on_vote
from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.crypto import KeyPair
from consensus.errors import InvalidSignatureError
from consensus.ledger import make_block
from consensus.ledger.devnet import make_keys
from consensus.messages import SignedVote, VoteType
from tests.consensus.bft.cluster import make_chain, propose, vote


def _started() -> tuple[tuple[KeyPair, ...], ConsensusState]:
    keys, chain = make_chain(4)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    return keys, state


def test_buffer_keeps_one_message_per_round_kind_and_author() -> None:
    keys, state = _started()
    for key in keys:
        for vote_type in VoteType:
            for round_ in range(FUTURE_ROUNDS + 2):
                for value in (None, b"\x01" * 32):
                    state, effects = on_vote(state, vote(key, vote_type, 2, round_, value), 0)
                    assert effects == ()
    assert len(state.future) == len(keys) * 2 * FUTURE_ROUNDS
    first = state.future[(0, int(VoteType.PREVOTE), keys[1].address)]
    assert isinstance(first, SignedVote) and first.vote.block_hash is None


def test_buffer_refuses_non_members_and_further_heights() -> None:
    _, state = _started()
    (outsider,) = make_keys(1, namespace=77)
    same, effects = on_vote(state, vote(outsider, VoteType.PREVOTE, 2, 0, None), 0)
    assert same is state and effects == ()
    keys, _ = make_chain(4)
    same, _ = on_vote(state, vote(keys[1], VoteType.PREVOTE, 3, 0, None), 0)
    assert same is state


def test_buffer_rejects_forged_signatures() -> None:
    keys, state = _started()
    genuine = vote(keys[1], VoteType.PREVOTE, 2, 0, None)
    with pytest.raises(InvalidSignatureError):
        on_vote(state, SignedVote(genuine.vote, bytes(64)), 0)
    state, _ = on_vote(state, genuine, 0)
    assert list(state.future.values()) == [genuine]


def test_buffer_keeps_a_next_height_proposal() -> None:
    keys, chain = make_chain(4)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    future_chain = dataclasses.replace(chain, height=1)
    block = make_block(future_chain, (), keys[1].address, 5, None)
    message = propose(keys[1], future_chain, 0, block=block)  # for height 2, by a member
    state, effects = on_proposal(state, message, 0)
    assert effects == () and list(state.future.values()) == [message]
