"""Election at epoch boundaries, genesis election, validator history."""

from __future__ import annotations

import pytest

from consensus.ledger import UnknownHeightError, get_validator_set_at
from consensus.transactions import Bond, RegisterCandidate, VoteCandidates
from tests.consensus.ledger.chain import (
    STAKE,
    USERS,
    VALIDATORS,
    Chain,
    make_params,
    make_state,
    make_tx,
)

ALICE, BOB = USERS[0], USERS[1]


def addresses(state):
    return [v.address for v in state.validators.validators]


def test_election_genesis_takes_top_candidates_ties_to_lower_address():
    state = make_state(make_params(max_validators=3))
    assert addresses(state) == sorted(k.address for k in VALIDATORS)[:3]
    assert all(v.power == STAKE for v in state.validators.validators)
    assert state.validator_history == ((1, state.validators),)


def test_election_new_candidate_with_more_backing_enters_at_epoch_boundary():
    chain = Chain(make_state(make_params(epoch_length=3)))
    txs = [
        make_tx(ALICE, chain.state, RegisterCandidate("alice")),
        make_tx(BOB, chain.state, Bond(2 * STAKE)),
    ]
    chain = chain.next(txs)  # height 1
    chain = chain.next([make_tx(BOB, chain.state, VoteCandidates((ALICE.address,)))])  # 2
    assert ALICE.address not in chain.state.validators
    chain = chain.next()  # height 3: the epoch boundary elects the set for height 4
    assert chain.state.validators.get_power(ALICE.address) == 2 * STAKE
    assert len(chain.state.validators) == 4
    assert get_validator_set_at(chain.state, 3).get_power(ALICE.address) == 0
    assert get_validator_set_at(chain.state, 4) == chain.state.validators


def test_election_smallest_validator_drops_out_when_the_set_is_full():
    chain = Chain(make_state(make_params(epoch_length=2, max_validators=4)))
    weakest = VALIDATORS[3]
    txs = [
        make_tx(ALICE, chain.state, RegisterCandidate("alice")),
        make_tx(BOB, chain.state, Bond(STAKE // 2)),
        make_tx(weakest, chain.state, VoteCandidates((ALICE.address, weakest.address))),
    ]
    chain = chain.next(txs)
    chain = chain.next([make_tx(BOB, chain.state, VoteCandidates((ALICE.address,)))])
    powers = chain.state.validators.powers
    assert ALICE.address in powers and weakest.address not in powers
    assert powers[ALICE.address] == STAKE // 2 + STAKE // 2


def test_election_power_follows_backing_changes():
    chain = Chain(make_state(make_params(epoch_length=2)))
    voter = VALIDATORS[0]
    chain = chain.next([make_tx(voter, chain.state, Bond(500))])
    chain = chain.next()
    assert chain.state.validators.get_power(voter.address) == STAKE + 500


def test_election_with_no_eligible_candidate_keeps_the_old_set():
    chain = Chain(make_state(make_params(epoch_length=2)))
    txs = [make_tx(k, chain.state, VoteCandidates(())) for k in VALIDATORS]
    chain = chain.next(txs)
    old = chain.state.validators
    chain = chain.next()
    assert chain.state.validators.hash == old.hash


def test_election_history_is_pruned_by_evidence_max_age():
    chain = Chain(make_state(make_params(epoch_length=1, evidence_max_age=3)))
    voter = VALIDATORS[0]
    for _ in range(6):
        chain = chain.next([make_tx(voter, chain.state, Bond(1))])
    state = chain.state
    starts = [start for start, _ in state.validator_history]
    assert starts == [4, 5, 6, 7]
    assert get_validator_set_at(state, 4).get_power(voter.address) == STAKE + 3
    with pytest.raises(UnknownHeightError, match="pruned"):
        get_validator_set_at(state, 3)


@pytest.mark.parametrize("height", [0, 2])
def test_election_unknown_heights_raise(height):
    state = make_state()
    with pytest.raises(UnknownHeightError):
        get_validator_set_at(state, height)
