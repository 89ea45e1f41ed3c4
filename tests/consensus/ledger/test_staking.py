"""Staking: bond, unbond and release, candidate registration, votes and backing shares."""

from __future__ import annotations

import pytest

from consensus.errors import InvalidTransactionError
from consensus.ledger import compute_backing, compute_shares, process_transaction
from consensus.ledger.staking import MAX_UNBONDING_ENTRIES
from consensus.state import Account, UnbondingEntry
from consensus.transactions import Bond, RegisterCandidate, Unbond, VoteCandidates
from tests.consensus.ledger.chain import (
    BALANCE,
    STAKE,
    USERS,
    VALIDATORS,
    Chain,
    make_params,
    make_state,
    make_tx,
    reject,
    vector,
)

ALICE = USERS[0]
V = [k.address for k in VALIDATORS]


@vector
def test_staking_bond_moves_balance_to_bonded():
    state = make_state()
    stx = make_tx(ALICE, state, Bond(500))
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    account = post.get_account(ALICE.address)
    assert (account.balance, account.bonded) == (BALANCE - 501, 500)
    yield "post", post


@vector
def test_staking_unbond_queues_an_entry_at_height_plus_period():
    state = make_state(make_params(unbonding_period=7))
    bonded = process_transaction(state, make_tx(ALICE, state, Bond(500)))
    stx = make_tx(ALICE, bonded, Unbond(200))
    yield "pre", bonded
    yield "tx", stx
    post = process_transaction(bonded, stx)
    account = post.get_account(ALICE.address)
    assert account.bonded == 300
    assert account.unbonding == (UnbondingEntry(200, 1 + 7),)
    yield "post", post


@vector
def test_staking_unbonding_is_released_by_process_block_at_its_height():
    chain = Chain(make_state(make_params(unbonding_period=2)))
    chain = chain.next([make_tx(ALICE, chain.state, Bond(500))])
    chain = chain.next([make_tx(ALICE, chain.state, Unbond(500))])  # height 2, release at 4
    before = chain.state.get_account(ALICE.address).balance
    chain = chain.next()  # height 3
    assert chain.state.get_account(ALICE.address).unbonding
    block = chain.propose()
    yield "pre", chain.state
    yield "block", block
    chain = chain.apply(block)  # height 4
    yield "post", chain.state
    account = chain.state.get_account(ALICE.address)
    assert account.unbonding == () and account.balance == before + 500


@pytest.mark.parametrize(
    ("body", "match"),
    [(Bond(0), "positive"), (Unbond(0), "positive"), (Unbond(1), "exceeds")],
)
@vector
def test_staking_bad_bond_or_unbond_is_rejected(body, match):
    state = make_state()
    yield from reject(state, make_tx(ALICE, state, body), InvalidTransactionError, match)


def test_staking_unbonding_entries_are_bounded():
    state = make_state()
    state = process_transaction(state, make_tx(ALICE, state, Bond(100)))
    for _ in range(MAX_UNBONDING_ENTRIES):
        state = process_transaction(state, make_tx(ALICE, state, Unbond(1)))
    with pytest.raises(InvalidTransactionError, match="unbonding entries"):
        process_transaction(state, make_tx(ALICE, state, Unbond(1)))


@vector
def test_staking_register_candidate():
    state = make_state()
    stx = make_tx(ALICE, state, RegisterCandidate("alice"))
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    candidate = post.candidates[ALICE.address]
    assert (candidate.moniker, candidate.registered_at, candidate.tombstoned) == ("alice", 1, False)
    yield "post", post


@pytest.mark.parametrize("moniker", ["", "   ", "bad\nname"])
@vector
def test_staking_register_with_bad_moniker_is_rejected(moniker):
    state = make_state()
    stx = make_tx(ALICE, state, RegisterCandidate(moniker))
    yield from reject(state, stx, InvalidTransactionError, "moniker")


def test_staking_register_twice_is_rejected():
    state = make_state()
    with pytest.raises(InvalidTransactionError, match="already"):
        process_transaction(state, make_tx(VALIDATORS[0], state, RegisterCandidate("again")))


@vector
def test_staking_vote_splits_bonded_stake_equally_remainder_to_first():
    state = make_state()
    state = process_transaction(state, make_tx(ALICE, state, Bond(10)))
    stx = make_tx(ALICE, state, VoteCandidates((V[2], V[0], V[1])))
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    account = post.get_account(ALICE.address)
    assert account.votes == tuple(sorted((V[0], V[1], V[2])))
    first = min(V[0], V[1], V[2])
    shares = compute_shares(account)
    assert shares[first] == 4 and sum(shares.values()) == 10
    assert set(shares.values()) == {3, 4}
    backing = compute_backing(post.accounts.values())
    assert backing[V[0]] == STAKE + shares[V[0]]
    yield "post", post


def test_staking_bond_after_vote_changes_backing():
    state = make_state()
    state = process_transaction(state, make_tx(ALICE, state, VoteCandidates((V[3],))))
    assert compute_backing(state.accounts.values())[V[3]] == STAKE
    state = process_transaction(state, make_tx(ALICE, state, Bond(70)))
    assert compute_backing(state.accounts.values())[V[3]] == STAKE + 70
    state = process_transaction(state, make_tx(ALICE, state, Unbond(30)))
    assert compute_backing(state.accounts.values())[V[3]] == STAKE + 40


def test_staking_empty_vote_withdraws_backing():
    state = make_state()
    voter = VALIDATORS[0]
    state = process_transaction(state, make_tx(voter, state, VoteCandidates(())))
    assert V[0] not in compute_backing(state.accounts.values())


@pytest.mark.parametrize(
    ("votes", "match"),
    [
        ((V[0], V[0]), "duplicate"),
        ((b"\x09" * 32,), "not a candidate"),
        ((V[0], V[1], V[2]), "limit"),
    ],
)
@vector
def test_staking_bad_votes_are_rejected(votes, match):
    state = make_state(make_params(max_voted_candidates=2))
    stx = make_tx(ALICE, state, VoteCandidates(votes))
    yield from reject(state, stx, InvalidTransactionError, match)


def test_staking_shares_of_an_account_without_stake_or_votes_are_empty():
    assert compute_shares(Account(balance=5, votes=(V[0],))) == {}
    assert compute_shares(Account(bonded=5)) == {}
