"""Locking and valid values (lines 22-44 of Algorithm 1) and valid(v) on proposals."""

from __future__ import annotations

import dataclasses

from consensus.bft.engine import on_proposal, on_start, on_timeout, on_vote
from consensus.bft.events import Effect, RequestProposalTxs, SignProposal, Step, Timeout
from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.crypto import KeyPair
from consensus.messages import VoteType
from consensus.state import ChainState
from consensus.validators import get_proposer
from tests.consensus.bft.cluster import (
    feed_own,
    get_effects_of,
    get_own_votes,
    get_proposer_key,
    make_chain,
    propose,
    vote,
)

PREVOTE, PRECOMMIT = VoteType.PREVOTE, VoteType.PRECOMMIT


def _bystander(keys: tuple[KeyPair, ...], chain: ChainState, rounds: int) -> KeyPair:
    """A validator that proposes in none of the first ``rounds`` rounds."""
    proposers = {get_proposer(chain.validators, r) for r in range(rounds)}
    return next(k for k in keys if k.address not in proposers)


def _locked_on_round_0(
    keys: tuple[KeyPair, ...], chain: ChainState, me: KeyPair
) -> tuple[ConsensusState, bytes, tuple[Effect, ...]]:
    """``me`` prevoted and precommitted round 0's block and locked on it; now in round 1.

    Also returns the effects of starting round 1."""
    proposal = propose(get_proposer_key(keys, chain, 0), chain, 0)
    block_hash = proposal.block.hash
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = feed_own(me, on_proposal(state, proposal, 0))
    assert get_own_votes(effects) == [(PREVOTE, block_hash)]
    again, none = on_proposal(state, proposal, 0)
    assert again is state and none == ()  # a duplicate proposal changes nothing
    others = [k for k in keys if k != me][:2]
    for other in others:
        state, effects = feed_own(me, on_vote(state, vote(other, PREVOTE, 1, 0, block_hash), 0))
    assert get_own_votes(effects) == [(PRECOMMIT, block_hash)]
    assert state.rs.locked_round == 0 and state.rs.locked_value == proposal.block
    assert state.rs.valid_round == 0
    state, effects = on_timeout(state, Timeout(1, 0, Step.PRECOMMIT), 0)
    assert state.round == 1
    return state, block_hash, effects


def test_engine_prevotes_for_a_valid_proposal() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 1)
    proposal = propose(get_proposer_key(keys, chain, 0), chain, 0)
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = on_proposal(state, proposal, 0)
    assert get_own_votes(effects) == [(PREVOTE, proposal.block.hash)]
    assert state.step == Step.PREVOTE


def test_engine_locked_validator_does_not_prevote_another_block() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 2)
    state, _, _ = _locked_on_round_0(keys, chain, me)
    other_block = propose(get_proposer_key(keys, chain, 1), chain, 1)
    state, effects = on_proposal(state, other_block, 0)
    assert get_own_votes(effects) == [(PREVOTE, None)]
    fresh, _ = on_start(new_consensus_state(chain, me.address), 0)
    fresh, _ = on_timeout(fresh, Timeout(1, 0, Step.PRECOMMIT), 0)
    _, effects = on_proposal(fresh, other_block, 0)  # the same block, without the lock
    assert get_own_votes(effects) == [(PREVOTE, other_block.block.hash)]


def test_engine_locked_validator_prevotes_its_value_reproposed_with_pol_round() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 2)
    state, locked, _ = _locked_on_round_0(keys, chain, me)
    block = state.rs.locked_value
    again = propose(get_proposer_key(keys, chain, 1), chain, 1, pol_round=0, block=block)
    state, effects = on_proposal(state, again, 0)
    assert get_own_votes(effects) == [(PREVOTE, locked)]


def test_engine_proposer_reproposes_its_valid_value() -> None:
    keys, chain = make_chain(4)
    proposer_1 = get_proposer_key(keys, chain, 1)
    assert proposer_1.address != get_proposer(chain.validators, 0)
    _, locked, effects = _locked_on_round_0(keys, chain, proposer_1)
    (sign,) = get_effects_of(effects, SignProposal)
    assert sign.proposal.block_hash == locked
    assert sign.proposal.pol_round == 0 and sign.proposal.round == 1
    assert get_effects_of(effects, RequestProposalTxs) == []


def test_engine_unlocked_validator_follows_a_polka_of_an_earlier_round() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 2)
    first = propose(get_proposer_key(keys, chain, 0), chain, 0)
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, _ = on_timeout(state, Timeout(1, 0, Step.PRECOMMIT), 0)  # missed round 0 entirely
    again = propose(get_proposer_key(keys, chain, 1), chain, 1, pol_round=0, block=first.block)
    state, effects = on_proposal(state, again, 0)
    assert get_own_votes(effects) == []  # no polka of round 0 known yet (line 28 waits)
    for other in [k for k in keys if k != me]:
        state, effects = on_vote(state, vote(other, PREVOTE, 1, 0, first.block.hash), 0)
        if get_own_votes(effects):
            break
    assert get_own_votes(effects) == [(PREVOTE, first.block.hash)]


def test_engine_invalid_block_gets_a_nil_prevote() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 1)
    proposer = get_proposer_key(keys, chain, 0)
    good = propose(proposer, chain, 0).block
    bad_header = dataclasses.replace(good.header, app_hash=bytes(32))
    bad = propose(proposer, chain, 0, block=dataclasses.replace(good, header=bad_header))
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = on_proposal(state, bad, 0)
    assert get_own_votes(effects) == [(PREVOTE, None)]
    assert state.rs.validity[bad.block.hash] is None


def test_engine_block_of_another_proposer_gets_a_nil_prevote() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 1)
    proposer = get_proposer_key(keys, chain, 0)
    someone_else = next(k for k in keys if k not in (proposer, me))
    foreign = propose(someone_else, chain, 0).block  # a block whose header names another
    proposal = propose(proposer, chain, 0, block=foreign)
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    _, effects = on_proposal(state, proposal, 0)
    assert get_own_votes(effects) == [(PREVOTE, None)]


def test_engine_precommits_nil_on_a_nil_polka() -> None:
    keys, chain = make_chain(4)
    me = _bystander(keys, chain, 1)
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = feed_own(me, on_timeout(state, Timeout(1, 0, Step.PROPOSE), 0))
    for other in [k for k in keys if k != me][:2]:
        state, effects = feed_own(me, on_vote(state, vote(other, PREVOTE, 1, 0, None), 0))
    assert get_own_votes(effects) == [(PRECOMMIT, None)]
    assert state.step == Step.PRECOMMIT and state.rs.locked_round == -1
