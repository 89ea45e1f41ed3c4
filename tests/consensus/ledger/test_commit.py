"""verify_commit: more than 2/3 of the power, distinct members, valid precommits."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.block import Commit, CommitSig
from consensus.errors import InvalidCommitError
from consensus.ledger import verify_commit
from consensus.ledger.devnet import sign_commit
from consensus.validators import ValidatorSet, compute_validator_set
from tests.consensus.ledger.chain import CHAIN_ID, USERS, VALIDATORS

HASH = b"\x07" * 32
VALSET = compute_validator_set({k.address: 10 for k in VALIDATORS})


def test_commit_with_three_of_four_is_final():
    verify_commit(VALSET, CHAIN_ID, sign_commit(VALIDATORS[:3], CHAIN_ID, 5, 1, HASH))


def test_commit_with_two_of_four_is_not_final():
    with pytest.raises(InvalidCommitError, match="2/3"):
        verify_commit(VALSET, CHAIN_ID, sign_commit(VALIDATORS[:2], CHAIN_ID, 5, 1, HASH))


def test_commit_power_is_weighted():
    weighted = compute_validator_set({VALIDATORS[0].address: 70, VALIDATORS[1].address: 30})
    verify_commit(weighted, CHAIN_ID, sign_commit(VALIDATORS[:1], CHAIN_ID, 5, 0, HASH))
    with pytest.raises(InvalidCommitError):
        verify_commit(weighted, CHAIN_ID, sign_commit(VALIDATORS[1:2], CHAIN_ID, 5, 0, HASH))


def test_commit_duplicate_signer_is_rejected():
    commit = sign_commit(VALIDATORS[:2], CHAIN_ID, 5, 0, HASH)
    doubled = dataclasses.replace(commit, signatures=commit.signatures * 2)
    with pytest.raises(InvalidCommitError, match="twice"):
        verify_commit(VALSET, CHAIN_ID, doubled)


def test_commit_signature_from_outsider_is_rejected():
    commit = sign_commit([*VALIDATORS, USERS[0]], CHAIN_ID, 5, 0, HASH)
    with pytest.raises(InvalidCommitError, match="not in the validator set"):
        verify_commit(VALSET, CHAIN_ID, commit)


@pytest.mark.parametrize(
    "commit",
    [
        sign_commit(VALIDATORS, "other-chain", 5, 0, HASH),
        dataclasses.replace(sign_commit(VALIDATORS, CHAIN_ID, 5, 0, HASH), round=1),
        dataclasses.replace(sign_commit(VALIDATORS, CHAIN_ID, 5, 0, HASH), block_hash=b"\x08" * 32),
        Commit(5, 0, HASH, tuple(CommitSig(k.address, bytes(64)) for k in VALIDATORS)),
    ],
)
def test_commit_with_a_bad_signature_is_rejected(commit):
    with pytest.raises(InvalidCommitError, match="bad precommit"):
        verify_commit(VALSET, CHAIN_ID, commit)


def test_commit_against_an_empty_set_is_rejected():
    with pytest.raises(InvalidCommitError):
        verify_commit(ValidatorSet(()), CHAIN_ID, Commit(5, 0, HASH, ()))
