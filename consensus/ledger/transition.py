"""``process_transaction``: one signed transaction applied to the state, or rejected whole."""

from __future__ import annotations

import dataclasses

from consensus.crypto import Verifier, validate_signature, verify_signature
from consensus.ledger.accounts import (
    FEE_COLLECTOR,
    Updates,
    apply_transfer,
    charge_fee,
    credit,
    validate_envelope,
)
from consensus.ledger.slashing import apply_double_sign
from consensus.ledger.staking import apply_bond, apply_register, apply_unbond, apply_vote
from consensus.ledger.tasks import apply_create_task, apply_model_delta
from consensus.primitives import Address
from consensus.state import Account, ChainState
from consensus.transactions import (
    Bond,
    CreateTask,
    DoubleSignEvidence,
    ModelDelta,
    RegisterCandidate,
    SignedTransaction,
    Transfer,
    Unbond,
    VoteCandidates,
)


def process_transaction(
    state: ChainState, stx: SignedTransaction, verify: Verifier = verify_signature
) -> ChainState:
    """Apply ``stx`` as the next transaction of block ``state.height + 1``.

    Raises InvalidTransactionError, InvalidSignatureError or InvalidEvidenceError; the given
    state is never changed. The fee goes to ``FEE_COLLECTOR`` until the block ends.
    """
    tx = stx.tx
    account = validate_envelope(state, tx)
    validate_signature(tx.sender, tx.sign_bytes(), stx.signature, verify)
    payer = charge_fee(account, tx.fee)
    new_state, updates = _apply_body(state, stx, payer, verify)
    collector = credit(new_state.get_account(FEE_COLLECTOR), tx.fee)
    accounts = {**new_state.accounts, **updates, FEE_COLLECTOR: collector}
    return dataclasses.replace(new_state, accounts=accounts)


def _apply_body(
    state: ChainState, stx: SignedTransaction, payer: Account, verify: Verifier
) -> tuple[ChainState, Updates]:
    body = stx.tx.body
    sender: Address = stx.tx.sender
    if isinstance(body, Transfer):
        return apply_transfer(state, sender, payer, body)
    if isinstance(body, Bond):
        return apply_bond(state, sender, payer, body)
    if isinstance(body, Unbond):
        return apply_unbond(state, sender, payer, body)
    if isinstance(body, RegisterCandidate):
        return apply_register(state, sender, payer, body)
    if isinstance(body, VoteCandidates):
        return apply_vote(state, sender, payer, body)
    if isinstance(body, DoubleSignEvidence):
        return apply_double_sign(state, sender, payer, body, verify)
    if isinstance(body, CreateTask):
        return apply_create_task(state, sender, payer, body)
    if isinstance(body, ModelDelta):
        return apply_model_delta(state, stx, payer, body)
    raise TypeError(f"unknown transaction body {type(body).__name__}")  # unreachable by typing
