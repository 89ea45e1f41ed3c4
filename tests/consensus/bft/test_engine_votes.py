"""Vote handling: membership, signatures, duplicates, equivocation evidence, bad proposals."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.bft.engine import (
    MAX_EXTRA_VALUES,
    MAX_ROUNDS_AHEAD,
    on_proposal,
    on_start,
    on_timeout,
    on_vote,
)
from consensus.bft.events import EvidenceFound, SignProposal, Step, Timeout
from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.block import Commit
from consensus.crypto import KeyPair
from consensus.errors import InvalidBlockError, InvalidSignatureError, InvalidVoteError
from consensus.ledger import process_transaction
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.messages import SignedVote, VoteType
from consensus.state import ChainState
from consensus.transactions import Transfer
from tests.consensus.bft.cluster import (
    CHAIN_ID,
    get_effects_of,
    get_own_votes,
    get_proposer_key,
    make_chain,
    propose,
    sign_proposal,
    vote,
)

PREVOTE, PRECOMMIT = VoteType.PREVOTE, VoteType.PRECOMMIT


def _started(count: int = 4) -> tuple[tuple[KeyPair, ...], ChainState, ConsensusState]:
    keys, chain = make_chain(count)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    return keys, chain, state


def test_engine_counts_a_vote_with_its_power() -> None:
    keys, chain, state = _started()
    state, _ = on_vote(state, vote(keys[1], PREVOTE, 1, 0, None), 0)
    tally = state.votes.get(0, PREVOTE)
    assert tally.get_power(None) == chain.validators.get_power(keys[1].address)
    assert tally.total == tally.get_power(None)
    assert state.votes.get_round_power(0) == tally.total


def test_engine_ignores_a_duplicate_vote() -> None:
    keys, _, state = _started()
    signed = vote(keys[1], PREVOTE, 1, 0, None)
    state, _ = on_vote(state, signed, 0)
    again, effects = on_vote(state, signed, 0)
    assert again is state and effects == ()


def test_engine_rejects_a_bad_signature() -> None:
    keys, _, state = _started()
    signed = vote(keys[1], PREVOTE, 1, 0, None)
    forged = SignedVote(signed.vote, bytes(64))
    with pytest.raises(InvalidSignatureError):
        on_vote(state, forged, 0)
    other = vote(keys[2], PREVOTE, 1, 0, None)
    stolen = SignedVote(dataclasses.replace(other.vote, validator=keys[1].address), other.signature)
    with pytest.raises(InvalidSignatureError):
        on_vote(state, stolen, 0)
    assert state.votes.get(0, PREVOTE).total == 0


def test_engine_rejects_a_vote_of_a_non_member() -> None:
    _, _, state = _started()
    (outsider,) = make_keys(1, namespace=99)
    with pytest.raises(InvalidVoteError):
        on_vote(state, vote(outsider, PREVOTE, 1, 0, None), 0)


def test_engine_ignores_old_heights_and_far_rounds() -> None:
    keys, _, state = _started()
    for stale in (vote(keys[1], PREVOTE, 0, 0, None), vote(keys[1], PREVOTE, 5, 0, None)):
        same, effects = on_vote(state, stale, 0)
        assert same is state and effects == ()
    far = vote(keys[1], PREVOTE, 1, MAX_ROUNDS_AHEAD + 1, None)
    same, effects = on_vote(state, far, 0)
    assert same is state and effects == ()


def test_engine_equivocation_produces_evidence_once() -> None:
    keys, chain, state = _started()
    cheater = keys[2]
    power = chain.validators.get_power(cheater.address)
    first = vote(cheater, PREVOTE, 1, 0, None)
    second = vote(cheater, PREVOTE, 1, 0, b"\x01" * 32)
    third = vote(cheater, PREVOTE, 1, 0, b"\x02" * 32)
    state, _ = on_vote(state, first, 0)
    state, effects = on_vote(state, second, 0)
    assert len(effects) == 1 and isinstance(effects[0], EvidenceFound)
    evidence = effects[0].evidence
    assert (evidence.vote_a, evidence.vote_b) == (first, second)
    tally = state.votes.get(0, PREVOTE)
    assert tally.votes[cheater.address] == first
    assert tally.total == power  # one validator, counted once among all votes
    state, effects = on_vote(state, third, 0)
    assert effects == ()  # no second evidence
    again, effects = on_vote(state, second, 0)
    assert again is state and effects == ()  # a repeated conflicting vote is a duplicate
    reporter = keys[0]
    slashed = process_transaction(chain, sign_transaction(reporter, CHAIN_ID, 0, evidence))
    assert slashed.candidates[cheater.address].tombstoned


def test_engine_counts_an_equivocators_votes_for_each_value() -> None:
    keys, chain, state = _started()
    cheater = keys[2]
    power = chain.validators.get_power(cheater.address)
    values = [None, *(bytes([i]) * 32 for i in range(1, 2 + MAX_EXTRA_VALUES))]
    for value in values:
        state, _ = on_vote(state, vote(cheater, PREVOTE, 1, 0, value), 0)
    tally = state.votes.get(0, PREVOTE)
    counted = [v for v in values if tally.get_power(v) == power]
    assert counted == values[: 1 + MAX_EXTRA_VALUES]  # junk values beyond the bound are not
    assert tally.total == power


def test_engine_equivocating_prevote_completes_a_polka_for_a_reproposal() -> None:
    keys, chain, state = _started()
    proposer = get_proposer_key(keys, chain, 1)
    block = propose(get_proposer_key(keys, chain, 0), chain, 0).block
    reproposal = propose(proposer, chain, 1, pol_round=0, block=block)
    state, _ = on_timeout(state, Timeout(1, 0, Step.PRECOMMIT), 0)
    state, effects = on_proposal(state, reproposal, 0)
    assert get_own_votes(effects) == []  # line 28 waits for a polka of round 0
    honest, cheater = keys[:2], keys[2]
    for key in honest:
        state, _ = on_vote(state, vote(key, PREVOTE, 1, 0, block.hash), 0)
    state, effects = on_vote(state, vote(cheater, PREVOTE, 1, 0, None), 0)  # seen first
    assert get_own_votes(effects) == []
    state, effects = on_vote(state, vote(cheater, PREVOTE, 1, 0, block.hash), 0)
    assert get_effects_of(effects, EvidenceFound)
    assert get_own_votes(effects) == [(PREVOTE, block.hash)]  # another node's polka, verified


def test_engine_conflicting_vote_with_bad_signature_raises_and_is_no_evidence() -> None:
    keys, _, state = _started()
    state, _ = on_vote(state, vote(keys[2], PREVOTE, 1, 0, None), 0)
    forged = SignedVote(vote(keys[2], PREVOTE, 1, 0, b"\x01" * 32).vote, bytes(64))
    with pytest.raises(InvalidSignatureError):
        on_vote(state, forged, 0)
    assert keys[2].address not in state.votes.equivocators


def test_engine_rejects_a_proposal_not_by_the_rounds_proposer() -> None:
    keys, chain, state = _started()
    proposer = get_proposer_key(keys, chain, 0)
    impostor = next(k for k in keys if k != proposer)
    with pytest.raises(InvalidVoteError):
        on_proposal(state, propose(impostor, chain, 0), 0)


def test_engine_rejects_a_proposal_with_a_bad_signature() -> None:
    keys, chain, state = _started()
    good = propose(get_proposer_key(keys, chain, 0), chain, 0)
    forged = dataclasses.replace(good, signed=dataclasses.replace(good.signed, signature=bytes(64)))
    with pytest.raises(InvalidSignatureError):
        on_proposal(state, forged, 0)
    assert state.rs.proposals == {}
    accepted, _ = on_proposal(state, good, 0)  # the real one is still welcome afterwards
    assert accepted.rs.proposals[0] == good


def test_engine_rejects_a_block_that_does_not_match_its_proposal() -> None:
    keys, chain, state = _started()
    proposer = get_proposer_key(keys, chain, 0)
    good = propose(proposer, chain, 0)
    other = propose(proposer, chain, 0, time_ms=chain.time_ms + 50).block
    with pytest.raises(InvalidBlockError):
        on_proposal(state, dataclasses.replace(good, block=other), 0)
    wrong_height = dataclasses.replace(good.signed.proposal, height=2)
    mismatched = sign_proposal(proposer, SignProposal(wrong_height, good.block))
    with pytest.raises(InvalidBlockError):
        on_proposal(state, mismatched, 0)


def test_engine_rejects_a_relayed_block_with_swapped_contents() -> None:
    keys, chain, state = _started()
    genuine = propose(get_proposer_key(keys, chain, 0), chain, 0)
    extra = sign_transaction(keys[1], CHAIN_ID, 0, Transfer(keys[2].address, 1))
    swapped_txs = dataclasses.replace(genuine.block, txs=(extra,))
    swapped_commit = dataclasses.replace(genuine.block, last_commit=Commit(0, 0, bytes(32), ()))
    for block in (swapped_txs, swapped_commit):
        assert block.hash == genuine.block.hash  # the header (and the signature) are genuine
        with pytest.raises(InvalidBlockError):
            on_proposal(state, dataclasses.replace(genuine, block=block), 0)
    accepted, effects = on_proposal(state, genuine, 0)
    assert accepted.rs.validity[genuine.block.hash] is not None
    assert get_own_votes(effects) == [(PREVOTE, genuine.block.hash)]
