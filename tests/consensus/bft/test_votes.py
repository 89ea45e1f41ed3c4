"""Vote sets: tallies per value, distinct power per round, commits from precommits."""

from __future__ import annotations

from consensus.bft.votes import (
    EMPTY_HEIGHT_VOTES,
    VoteStatus,
    add_conflicting_vote,
    add_vote,
    compute_commit,
    get_vote_status,
)
from consensus.ledger import verify_commit
from consensus.messages import VoteType
from tests.consensus.bft.cluster import CHAIN_ID, make_chain, vote

BLOCK = b"\x0b" * 32
OTHER = b"\x0c" * 32


def test_votes_tally_per_value_and_in_total() -> None:
    keys, _ = make_chain(4)
    votes = EMPTY_HEIGHT_VOTES
    for key, value in zip(keys, (BLOCK, BLOCK, None, OTHER), strict=True):
        votes = add_vote(votes, vote(key, VoteType.PREVOTE, 1, 0, value), 10)
    tally = votes.get(0, VoteType.PREVOTE)
    assert (tally.get_power(BLOCK), tally.get_power(None), tally.get_power(OTHER)) == (20, 10, 10)
    assert tally.total == 40
    assert votes.get(0, VoteType.PRECOMMIT).total == 0


def test_votes_round_power_counts_each_validator_once() -> None:
    keys, _ = make_chain(4)
    votes = add_vote(EMPTY_HEIGHT_VOTES, vote(keys[0], VoteType.PREVOTE, 1, 2, None), 7)
    votes = add_vote(votes, vote(keys[0], VoteType.PRECOMMIT, 1, 2, None), 7)
    assert votes.get_round_power(2) == 7
    votes = add_vote(votes, vote(keys[1], VoteType.PRECOMMIT, 1, 2, None), 5)
    assert votes.get_round_power(2) == 12
    assert votes.get_round_power(1) == 0


def test_votes_status_new_duplicate_conflicting() -> None:
    keys, _ = make_chain(4)
    first = vote(keys[0], VoteType.PREVOTE, 1, 0, BLOCK)
    assert get_vote_status(EMPTY_HEIGHT_VOTES, first.vote) is VoteStatus.NEW
    votes = add_vote(EMPTY_HEIGHT_VOTES, first, 1)
    assert get_vote_status(votes, first.vote) is VoteStatus.DUPLICATE
    second = vote(keys[0], VoteType.PREVOTE, 1, 0, OTHER)
    assert get_vote_status(votes, second.vote) is VoteStatus.CONFLICTING
    votes = add_conflicting_vote(votes, second, 1)
    assert get_vote_status(votes, second.vote) is VoteStatus.DUPLICATE
    assert votes.get(0, VoteType.PREVOTE).get_power(OTHER) == 1
    assert votes.get(0, VoteType.PREVOTE).total == 1


def test_votes_commit_takes_each_validators_precommit_for_the_block() -> None:
    keys, chain = make_chain(4)
    votes = EMPTY_HEIGHT_VOTES
    for key in keys[:3]:
        votes = add_vote(votes, vote(key, VoteType.PRECOMMIT, 1, 1, BLOCK), 1)
    votes = add_vote(votes, vote(keys[3], VoteType.PRECOMMIT, 1, 1, None), 1)
    commit = compute_commit(votes, 1, 1, BLOCK)
    assert [s.validator for s in commit.signatures] == [k.address for k in keys[:3]]
    assert (commit.height, commit.round, commit.block_hash) == (1, 1, BLOCK)
    verify_commit(chain.validators, CHAIN_ID, commit)
    votes = add_conflicting_vote(votes, vote(keys[3], VoteType.PRECOMMIT, 1, 1, BLOCK), 1)
    with_equivocator = compute_commit(votes, 1, 1, BLOCK)
    assert [s.validator for s in with_equivocator.signatures] == [k.address for k in keys]
    verify_commit(chain.validators, CHAIN_ID, with_equivocator)
