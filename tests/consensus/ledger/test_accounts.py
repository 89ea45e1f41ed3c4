"""The transaction envelope (chain id, fee, nonce, funds, signature) and transfers."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.errors import InvalidSignatureError, InvalidTransactionError
from consensus.ledger import FEE_COLLECTOR, compute_supply, process_transaction
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import (
    Bond,
    ModelDelta,
    SignedTransaction,
    Transaction,
    Transfer,
    Unbond,
)
from tests.consensus.ledger.chain import (
    BALANCE,
    CHAIN_ID,
    SPEC,
    USERS,
    make_state,
    make_tx,
    reject,
    vector,
)

ALICE, BOB = USERS[0], USERS[1]


@vector
def test_accounts_transfer_moves_amount_and_fee():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(BOB.address, 100), fee=3)
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    assert post.get_account(ALICE.address).balance == BALANCE - 103
    assert post.get_account(ALICE.address).nonce == 1
    assert post.get_account(BOB.address).balance == BALANCE + 100
    assert post.get_account(FEE_COLLECTOR).balance == 3
    assert compute_supply(post) == compute_supply(state)
    yield "post", post


@vector
def test_accounts_transfer_to_a_new_account_creates_it():
    state = make_state()
    fresh = b"\x42" * 32
    stx = make_tx(ALICE, state, Transfer(fresh, 9))
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    assert post.get_account(fresh).balance == 9
    yield "post", post


@vector
def test_accounts_transfer_to_self_only_costs_the_fee():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(ALICE.address, 50), fee=2)
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    assert post.get_account(ALICE.address).balance == BALANCE - 2
    yield "post", post


@vector
def test_accounts_wrong_chain_id_is_rejected():
    state = make_state()
    stx = sign_transaction(ALICE, "other-chain", 0, Transfer(BOB.address, 1))
    yield from reject(state, stx, InvalidTransactionError, "chain id")


@vector
def test_accounts_wrong_nonce_is_rejected():
    state = make_state()
    stx = sign_transaction(ALICE, CHAIN_ID, 1, Transfer(BOB.address, 1))
    yield from reject(state, stx, InvalidTransactionError, "nonce")


@vector
def test_accounts_replayed_transaction_is_rejected():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(BOB.address, 1))
    yield from reject(process_transaction(state, stx), stx, InvalidTransactionError, "nonce")


@vector
def test_accounts_fee_below_minimum_is_rejected():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(BOB.address, 1), fee=0)
    yield from reject(state, stx, InvalidTransactionError, "fee")


@vector
def test_accounts_insufficient_balance_for_fee_plus_amount_is_rejected():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(BOB.address, BALANCE), fee=1)
    yield from reject(state, stx, InvalidTransactionError, "balance")


@vector
def test_accounts_unknown_sender_is_rejected():
    state = make_state()

    stranger = make_keys(1, namespace=9)[0]
    stx = make_tx(stranger, state, Transfer(BOB.address, 1))
    yield from reject(state, stx, InvalidTransactionError, "balance")


@vector
def test_accounts_bad_signature_is_rejected():
    state = make_state()
    good = make_tx(ALICE, state, Transfer(BOB.address, 1))
    forged = SignedTransaction(good.tx, BOB.sign(good.tx.sign_bytes()))
    yield from reject(state, forged, InvalidSignatureError, "signature")


@vector
def test_accounts_zero_transfer_is_rejected():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(BOB.address, 0))
    yield from reject(state, stx, InvalidTransactionError, "positive")


@vector
def test_accounts_transfer_to_fee_collector_is_rejected():
    state = make_state()
    stx = make_tx(ALICE, state, Transfer(FEE_COLLECTOR, 1))
    yield from reject(state, stx, InvalidTransactionError, "fee collector")


def test_accounts_fee_collector_cannot_send():
    state = make_state()
    tx = Transaction(CHAIN_ID, FEE_COLLECTOR, 0, 1, Transfer(BOB.address, 1))
    stx = SignedTransaction(tx, bytes(64))
    with pytest.raises(InvalidTransactionError, match="fee collector"):
        process_transaction(state, stx)


def test_accounts_injected_verifier_is_used():
    state = make_state()
    tx = Transaction(CHAIN_ID, ALICE.address, 0, 1, Transfer(BOB.address, 1))
    unsigned = SignedTransaction(tx, bytes(64))
    calls: list[bytes] = []

    def accept_all(address: bytes, message: bytes, signature: bytes) -> bool:
        calls.append(address)
        return True

    post = process_transaction(state, unsigned, accept_all)
    assert calls == [ALICE.address]
    assert post.get_account(BOB.address).balance == BALANCE + 1


@pytest.mark.parametrize(
    "body",
    [
        Transfer(BOB.address, -5),
        Bond(-5),
        Unbond(-5),
        dataclasses.replace(SPEC, reward_pool=-5),
        ModelDelta(1, -1, bytes(32), 1, 1),
        ModelDelta(1, 0, bytes(32), 1, -1),
    ],
)
def test_accounts_negative_amounts_built_in_process_are_rejected(body):
    """Decoding bounds every integer; values built in-process must not mint either."""
    state = make_state()
    state = process_transaction(state, make_tx(USERS[3], state, SPEC))
    with pytest.raises(InvalidTransactionError):
        process_transaction(state, make_tx(ALICE, state, body))
