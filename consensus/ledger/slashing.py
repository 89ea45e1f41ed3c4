"""Slashing: double-sign evidence (slash and tombstone) and downtime (slash and jail).

A slash of ``ppm`` parts per million takes that fraction of every voter's share backing the
offender (the offender's own bond included when it votes for itself) out of their bonded
stake; the slashed tokens are burned.
"""

from __future__ import annotations

import dataclasses

from consensus.block import Commit
from consensus.crypto import Verifier
from consensus.errors import InvalidEvidenceError
from consensus.ledger.accounts import Updates, get_updated
from consensus.ledger.election import get_validator_set_at
from consensus.ledger.errors import UnknownHeightError
from consensus.ledger.staking import compute_shares
from consensus.params import PPM
from consensus.primitives import Address, Amount, Height
from consensus.state import Account, ChainState
from consensus.transactions import DoubleSignEvidence
from consensus.validators import ValidatorSet


def slash_backers(
    state: ChainState, updates: Updates, offender: Address, ppm: int
) -> tuple[Updates, Amount]:
    """Cut ``ppm`` of every share backing ``offender``; return the updates and the total cut."""
    slashed = dict(updates)
    total = 0
    for address in {*state.accounts, *updates}:
        account = get_updated(state, slashed, address)
        cut = compute_shares(account).get(offender, 0) * ppm // PPM
        if cut:
            slashed[address] = dataclasses.replace(account, bonded=account.bonded - cut)
            total += cut
    return slashed, total


def validate_double_sign(state: ChainState, evidence: DoubleSignEvidence, verify: Verifier) -> None:
    """Raise :class:`InvalidEvidenceError` unless the evidence proves a punishable double sign."""
    a, b = evidence.vote_a.vote, evidence.vote_b.vote
    if (a.vote_type, a.height, a.round, a.validator) != (
        b.vote_type,
        b.height,
        b.round,
        b.validator,
    ):
        raise InvalidEvidenceError("the votes differ in type, height, round or validator")
    if a.block_hash == b.block_hash:
        raise InvalidEvidenceError("the votes are for the same block")
    if state.height + 1 - a.height > state.params.evidence_max_age:
        raise InvalidEvidenceError(f"evidence from height {a.height} is too old")
    try:
        valset = get_validator_set_at(state, a.height)
    except UnknownHeightError as exc:
        raise InvalidEvidenceError(str(exc)) from None
    if a.validator not in valset:
        raise InvalidEvidenceError("the signer was not a validator at that height")
    candidate = state.candidates.get(a.validator)
    if candidate is None or candidate.tombstoned:
        raise InvalidEvidenceError("the validator is already tombstoned")
    for signed in (evidence.vote_a, evidence.vote_b):
        if not signed.is_signature_valid(state.chain_id, verify):
            raise InvalidEvidenceError("a vote's signature does not verify")


def apply_double_sign(
    state: ChainState,
    sender: Address,
    payer: Account,
    evidence: DoubleSignEvidence,
    verify: Verifier,
) -> tuple[ChainState, Updates]:
    """Slash ``double_sign_slash_ppm`` of the offender's backing and tombstone it."""
    validate_double_sign(state, evidence, verify)
    offender = evidence.vote_a.vote.validator
    ppm = state.params.double_sign_slash_ppm
    updates, burned = slash_backers(state, {sender: payer}, offender, ppm)
    candidate = dataclasses.replace(state.candidates[offender], tombstoned=True)
    new_state = dataclasses.replace(
        state,
        candidates={**state.candidates, offender: candidate},
        burned=state.burned + burned,
    )
    return new_state, updates


def is_downtime_exceeded(missed: int, window: int, min_signed_ppm: int) -> bool:
    """Whether ``missed`` blocks are more than ``1 - min_signed`` of the window."""
    return missed * PPM > window * (PPM - min_signed_ppm)


def process_downtime(
    state: ChainState, commit: Commit, valset: ValidatorSet, height: Height
) -> ChainState:
    """Track who signed ``commit`` (the last commit of block ``height``); jail the absent."""
    params = state.params
    signed = {sig.validator for sig in commit.signatures}
    oldest = commit.height - params.downtime_window + 1
    missed: dict[Address, tuple[Height, ...]] = {}
    offenders: list[Address] = []
    for validator in valset.validators:
        heights = tuple(h for h in state.missed_blocks.get(validator.address, ()) if h >= oldest)
        if validator.address not in signed:
            heights = (*heights, commit.height)
        window, min_signed = params.downtime_window, params.downtime_min_signed_ppm
        if is_downtime_exceeded(len(heights), window, min_signed):
            offenders.append(validator.address)
        elif heights:
            missed[validator.address] = heights
    new_state = dataclasses.replace(state, missed_blocks=missed)
    for offender in offenders:
        new_state = jail_for_downtime(new_state, offender, height)
    return new_state


def jail_for_downtime(state: ChainState, offender: Address, height: Height) -> ChainState:
    """Slash ``downtime_slash_ppm`` and jail until ``height + downtime_jail_blocks``."""
    candidate = state.candidates.get(offender)
    if candidate is None or candidate.is_jailed(height):
        return state
    updates, burned = slash_backers(state, {}, offender, state.params.downtime_slash_ppm)
    jailed = dataclasses.replace(candidate, jailed_until=height + state.params.downtime_jail_blocks)
    return dataclasses.replace(
        state,
        accounts={**state.accounts, **updates},
        candidates={**state.candidates, offender: jailed},
        burned=state.burned + burned,
    )
