"""Slashing: double-sign evidence and downtime."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.crypto import KeyPair
from consensus.errors import InvalidBlockError, InvalidEvidenceError, InvalidTransactionError
from consensus.ledger import (
    compute_backing,
    compute_supply,
    make_block,
    process_block,
    process_transaction,
)
from consensus.ledger.slashing import is_downtime_exceeded
from consensus.messages import SignedVote, Vote, VoteType
from consensus.params import PPM
from consensus.transactions import Bond, DoubleSignEvidence, VoteCandidates
from tests.consensus.ledger.chain import (
    CHAIN_ID,
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
OFFENDER = VALIDATORS[1]


def signed_vote(
    key: KeyPair, block_hash: bytes | None, height: int = 1, round_: int = 0, chain_id=CHAIN_ID
) -> SignedVote:
    vote = Vote(VoteType.PREVOTE, height, round_, block_hash, key.address)
    return SignedVote(vote, key.sign(vote.sign_bytes(chain_id)))


def evidence(key: KeyPair = OFFENDER, **kwargs) -> DoubleSignEvidence:
    return DoubleSignEvidence(
        signed_vote(key, b"\x01" * 32, **kwargs), signed_vote(key, None, **kwargs)
    )


def backed_chain() -> Chain:
    """After block 1: ALICE bonds 1,000 and votes for the offender and one other validator."""
    chain = Chain(make_state())
    txs = [make_tx(ALICE, chain.state, Bond(1_000))]
    chain = chain.next(txs)
    both = (OFFENDER.address, VALIDATORS[2].address)
    return chain.next([make_tx(ALICE, chain.state, VoteCandidates(both))])


@vector
def test_slashing_double_sign_slashes_backers_and_tombstones():
    chain = backed_chain()
    state = chain.state
    stx = make_tx(USERS[1], state, evidence())
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    ppm = state.params.double_sign_slash_ppm
    own_cut = STAKE * ppm // PPM
    alice_share = 500  # 1,000 split over two candidates
    alice_cut = alice_share * ppm // PPM
    assert post.get_account(OFFENDER.address).bonded == STAKE - own_cut
    assert post.get_account(ALICE.address).bonded == 1_000 - alice_cut
    assert post.burned == own_cut + alice_cut
    assert post.candidates[OFFENDER.address].tombstoned
    assert compute_supply(post) == compute_supply(state) - post.burned
    yield "post", post


def test_slashing_tombstoned_validator_leaves_the_set_at_the_next_height():
    chain = backed_chain()
    chain = chain.next([make_tx(USERS[1], chain.state, evidence())])
    assert OFFENDER.address not in chain.state.validators
    others = {k.address for k in VALIDATORS} - {OFFENDER.address}
    assert set(chain.state.validators.powers) == others
    chain = Chain(chain.state, chain.last_commit).next()  # the set of 3 still finalizes
    assert chain.state.height == 4


def test_slashing_tombstoned_candidate_cannot_be_voted_for_or_punished_twice():
    chain = backed_chain()
    state = process_transaction(chain.state, make_tx(USERS[1], chain.state, evidence()))
    with pytest.raises(InvalidTransactionError, match="tombstoned"):
        process_transaction(state, make_tx(ALICE, state, VoteCandidates((OFFENDER.address,))))
    with pytest.raises(InvalidEvidenceError, match="tombstoned"):
        process_transaction(state, make_tx(USERS[2], state, evidence()))


def test_slashing_submitter_who_backs_the_offender_is_slashed_and_charged():
    chain = backed_chain()
    state = chain.state
    post = process_transaction(state, make_tx(ALICE, state, evidence(), fee=5))
    account = post.get_account(ALICE.address)
    assert account.balance == state.get_account(ALICE.address).balance - 5
    assert account.bonded < 1_000


def bad_evidence_cases():
    v = OFFENDER
    good_a = signed_vote(v, b"\x01" * 32)
    return [
        (DoubleSignEvidence(good_a, good_a), "same block"),
        (DoubleSignEvidence(good_a, signed_vote(v, None, round_=1)), "differ"),
        (DoubleSignEvidence(good_a, signed_vote(VALIDATORS[2], None)), "differ"),
        (DoubleSignEvidence(good_a, signed_vote(v, None, chain_id="x")), "signature"),
        (evidence(ALICE), "not a validator"),
        (evidence(height=9), "no validator set"),
        (
            DoubleSignEvidence(
                good_a, dataclasses.replace(signed_vote(v, None), signature=bytes(64))
            ),
            "signature",
        ),
    ]


@pytest.mark.parametrize(("body", "match"), bad_evidence_cases())
@vector
def test_slashing_invalid_evidence_is_rejected(body, match):
    state = backed_chain().state
    yield from reject(state, make_tx(USERS[1], state, body), InvalidEvidenceError, match)


def test_slashing_evidence_older_than_max_age_is_rejected():
    chain = Chain(make_state(make_params(evidence_max_age=2)))
    for _ in range(3):
        chain = chain.next()
    state = chain.state
    with pytest.raises(InvalidEvidenceError, match="too old"):
        process_transaction(state, make_tx(USERS[1], state, evidence(height=1)))
    process_transaction(state, make_tx(USERS[1], state, evidence(height=2)))


def test_slashing_evidence_in_a_block_with_bad_signature_invalidates_block():
    chain = backed_chain()
    forged = DoubleSignEvidence(
        signed_vote(OFFENDER, b"\x01" * 32),
        dataclasses.replace(signed_vote(OFFENDER, None), signature=bytes(64)),
    )
    block = chain.propose([make_tx(USERS[1], chain.state, forged)])
    assert block.txs == ()
    bad = make_block(
        chain.state,
        (make_tx(USERS[1], chain.state, forged),),
        block.header.proposer,
        block.header.time_ms,
        chain.last_commit,
    )
    with pytest.raises(InvalidBlockError, match="signature"):
        process_block(chain.state, bad)


@pytest.mark.parametrize(
    ("missed", "window", "min_signed", "exceeded"),
    [(5, 10, 500_000, False), (6, 10, 500_000, True), (1, 10, PPM, True), (10, 10, 0, False)],
)
def test_slashing_downtime_threshold(missed, window, min_signed, exceeded):
    assert is_downtime_exceeded(missed, window, min_signed) is exceeded


@vector
def test_slashing_downtime_jails_slashes_and_releases():
    params = make_params(
        downtime_window=4, downtime_min_signed_ppm=500_000, downtime_jail_blocks=5, epoch_length=3
    )
    chain = Chain(make_state(params))
    absent = VALIDATORS[3]
    present = [k for k in VALIDATORS if k != absent]
    chain = chain.next(signers=present)  # block 1; its commit misses `absent`
    for _ in range(2):
        chain = chain.next(signers=present)
    assert chain.state.missed_blocks[absent.address] == (1, 2)
    block = chain.propose()  # block 4 carries the third miss: 3/4 > 1/2
    yield "pre", chain.state
    yield "block", block
    chain = chain.apply(block, signers=present)
    yield "post", chain.state
    state = chain.state
    cut = STAKE * params.downtime_slash_ppm // PPM
    assert state.candidates[absent.address].jailed_until == 4 + 5
    assert state.get_account(absent.address).bonded == STAKE - cut
    assert state.burned == cut
    assert absent.address not in state.validators
    assert absent.address not in state.missed_blocks
    assert compute_backing(state.accounts.values())[absent.address] == STAKE - cut
    while chain.state.height < 9:  # epochs at 6 and 9; jailed until 9, eligible at 10
        chain = chain.next()
        assert (absent.address in chain.state.validators) == (chain.state.height >= 9)
    assert chain.state.validators.get_power(absent.address) == STAKE - cut


def test_slashing_missed_blocks_outside_the_window_are_forgotten():
    params = make_params(downtime_window=3, downtime_min_signed_ppm=0)
    chain = Chain(make_state(params))
    absent = VALIDATORS[3]
    present = [k for k in VALIDATORS if k != absent]
    chain = chain.next(signers=present)
    for _ in range(4):
        chain = chain.next()
    assert absent.address not in chain.state.missed_blocks
    assert not chain.state.candidates[absent.address].is_jailed(chain.state.height + 1)
