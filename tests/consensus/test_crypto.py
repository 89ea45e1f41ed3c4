"""Keys, signatures and domain-separated sign-bytes."""

from __future__ import annotations

import pytest

from consensus import crypto as crypto_module
from consensus.crypto import (
    VERIFIED_MEMO_SIZE,
    Domain,
    KeyPair,
    compute_sign_bytes,
    validate_signature,
    verify_signature,
)
from consensus.errors import InvalidSignatureError
from consensus.messages import SignedVote, Vote, VoteType
from consensus.transactions import Bond, SignedTransaction, Transaction


def test_crypto_keypair_is_deterministic_from_seed() -> None:
    assert KeyPair.from_seed(b"\x01" * 32) == KeyPair.from_seed(b"\x01" * 32)
    assert KeyPair.from_seed(b"\x01" * 32).address != KeyPair.from_seed(b"\x02" * 32).address
    with pytest.raises(ValueError, match="32 bytes"):
        KeyPair.from_seed(b"short")


def test_crypto_repr_never_shows_the_seed() -> None:
    key = KeyPair.from_seed(b"\xab" * 32)
    assert "abab" not in repr(key)


def test_crypto_sign_bytes_separate_domains_and_chains() -> None:
    payload = [1, 2, 3]
    variants = {
        compute_sign_bytes(Domain.VOTE, "a", payload),
        compute_sign_bytes(Domain.PROPOSAL, "a", payload),
        compute_sign_bytes(Domain.TRANSACTION, "a", payload),
        compute_sign_bytes(Domain.VOTE, "b", payload),
    }
    assert len(variants) == 4


def test_crypto_signature_verifies_only_for_its_message_and_key() -> None:
    key, other = KeyPair.from_seed(b"\x01" * 32), KeyPair.from_seed(b"\x02" * 32)
    message = b"hello"
    signature = key.sign(message)
    assert verify_signature(key.address, message, signature)
    assert not verify_signature(other.address, message, signature)
    assert not verify_signature(key.address, b"hellp", signature)
    assert not verify_signature(key.address, message, signature[:-1])
    assert not verify_signature(b"\x00" * 31, message, signature)
    with pytest.raises(InvalidSignatureError):
        validate_signature(other.address, message, signature)


def test_crypto_vote_signature_does_not_replay_across_chains() -> None:
    key = KeyPair.from_seed(b"\x03" * 32)
    vote = Vote(VoteType.PRECOMMIT, 5, 0, b"\x07" * 32, key.address)
    signed = SignedVote(vote, key.sign(vote.sign_bytes("chain-a")))
    assert signed.is_signature_valid("chain-a")
    assert not signed.is_signature_valid("chain-b")


def test_crypto_transaction_signature_and_hash() -> None:
    key = KeyPair.from_seed(b"\x04" * 32)
    tx = Transaction("chain-a", key.address, 0, 1, Bond(10))
    stx = SignedTransaction(tx, key.sign(tx.sign_bytes()))
    assert stx.is_signature_valid()
    forged = SignedTransaction(Transaction("chain-a", key.address, 0, 1, Bond(11)), stx.signature)
    assert not forged.is_signature_valid()
    assert stx.hash != forged.hash and len(stx.hash) == 32


def test_crypto_remembered_checks_give_the_same_answers_and_stay_bounded() -> None:
    key, other = KeyPair.from_seed(b"\x05" * 32), KeyPair.from_seed(b"\x06" * 32)
    signature = key.sign(b"message")
    forged = signature[:-1] + bytes([signature[-1] ^ 1])
    for _ in range(3):  # the first check of each triple verifies, the others are remembered
        assert verify_signature(key.address, b"message", signature)
        assert not verify_signature(key.address, b"massage", signature)
        assert not verify_signature(other.address, b"message", signature)
        assert not verify_signature(key.address, b"message", forged)
    for index in range(VERIFIED_MEMO_SIZE + 50):
        assert not verify_signature(key.address, b"%d" % index, signature)
    assert len(crypto_module._verified) == VERIFIED_MEMO_SIZE
    assert verify_signature(key.address, b"message", signature)  # forgotten, checked again
