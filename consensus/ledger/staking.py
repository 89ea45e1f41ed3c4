"""Staking: bond, unbond (with an unbonding period), register candidates, vote for them.

A voter's bonded stake is split equally among the candidates it votes for; the remainder of
the integer division goes to the first candidate in address order. A candidate's backing is the
sum of its voters' shares. Backing is derived from the accounts when needed (election,
slashing), never stored, so bonding or unbonding changes it at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Final

from consensus.errors import InvalidTransactionError
from consensus.ledger.accounts import Updates
from consensus.primitives import Address, Height, Stake
from consensus.state import Account, Candidate, ChainState, UnbondingEntry
from consensus.transactions import Bond, RegisterCandidate, Unbond, VoteCandidates

MAX_UNBONDING_ENTRIES: Final = 16
"""At most this many unbonding entries per account (Cosmos ``max_entries`` is 7)."""


def compute_shares(account: Account) -> dict[Address, Stake]:
    """How the account's bonded stake backs each candidate it votes for."""
    votes = account.votes
    if not votes or account.bonded == 0:
        return {}
    base, remainder = divmod(account.bonded, len(votes))
    shares = dict.fromkeys(votes, base)
    shares[votes[0]] += remainder
    return shares


def compute_backing(accounts: Iterable[Account]) -> dict[Address, Stake]:
    """Total backing stake per candidate address."""
    backing: dict[Address, Stake] = {}
    for account in accounts:
        for candidate, share in compute_shares(account).items():
            backing[candidate] = backing.get(candidate, 0) + share
    return backing


def apply_bond(
    state: ChainState, sender: Address, payer: Account, body: Bond
) -> tuple[ChainState, Updates]:
    if body.amount <= 0:
        raise InvalidTransactionError("bond a positive amount")
    bonded = dataclasses.replace(
        payer, balance=payer.balance - body.amount, bonded=payer.bonded + body.amount
    )
    return state, {sender: bonded}


def apply_unbond(
    state: ChainState, sender: Address, payer: Account, body: Unbond
) -> tuple[ChainState, Updates]:
    if body.amount <= 0:
        raise InvalidTransactionError("unbond a positive amount")
    if body.amount > payer.bonded:
        raise InvalidTransactionError(f"unbond {body.amount} exceeds bonded {payer.bonded}")
    if len(payer.unbonding) >= MAX_UNBONDING_ENTRIES:
        raise InvalidTransactionError(f"already {MAX_UNBONDING_ENTRIES} unbonding entries")
    release = state.height + 1 + state.params.unbonding_period
    entry = UnbondingEntry(amount=body.amount, release_height=release)
    unbonding = dataclasses.replace(
        payer, bonded=payer.bonded - body.amount, unbonding=(*payer.unbonding, entry)
    )
    return state, {sender: unbonding}


def apply_register(
    state: ChainState, sender: Address, payer: Account, body: RegisterCandidate
) -> tuple[ChainState, Updates]:
    if sender in state.candidates:
        raise InvalidTransactionError("the sender is already a candidate")
    if not body.moniker.strip() or not body.moniker.isprintable():
        raise InvalidTransactionError("a moniker must be non-blank printable text")
    candidate = Candidate(moniker=body.moniker, registered_at=state.height + 1)
    new_state = dataclasses.replace(state, candidates={**state.candidates, sender: candidate})
    return new_state, {sender: payer}


def validate_votes(
    candidates: Mapping[Address, Candidate], votes: tuple[Address, ...], most: int
) -> None:
    """Raise unless ``votes`` names distinct, registered, non-tombstoned candidates."""
    if len(votes) > most:
        raise InvalidTransactionError(f"{len(votes)} votes exceed the limit of {most}")
    if len(set(votes)) != len(votes):
        raise InvalidTransactionError("duplicate candidate in votes")
    for address in votes:
        candidate = candidates.get(address)
        if candidate is None:
            raise InvalidTransactionError(f"{address.hex()[:16]} is not a candidate")
        if candidate.tombstoned:
            raise InvalidTransactionError(f"{address.hex()[:16]} is tombstoned")


def apply_vote(
    state: ChainState, sender: Address, payer: Account, body: VoteCandidates
) -> tuple[ChainState, Updates]:
    """Replace the sender's votes (an empty list withdraws its backing)."""
    validate_votes(state.candidates, body.candidates, state.params.max_voted_candidates)
    voted = dataclasses.replace(payer, votes=tuple(sorted(body.candidates)))
    return state, {sender: voted}


def release_unbonding(accounts: Mapping[Address, Account], height: Height) -> Updates:
    """Accounts whose unbonding entries mature at or before ``height``, with them released."""
    updates: Updates = {}
    for address, account in accounts.items():
        if not account.unbonding or all(e.release_height > height for e in account.unbonding):
            continue
        kept = tuple(e for e in account.unbonding if e.release_height > height)
        released = sum(e.amount for e in account.unbonding if e.release_height <= height)
        updates[address] = dataclasses.replace(
            account, balance=account.balance + released, unbonding=kept
        )
    return updates
