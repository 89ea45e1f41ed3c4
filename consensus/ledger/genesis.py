"""``compute_genesis_state``: the state before height 1, from a genesis description."""

from __future__ import annotations

import dataclasses
from typing import Final

from consensus.errors import ConsensusError, InvalidParamsError
from consensus.genesis import Genesis
from consensus.ledger.accounts import FEE_COLLECTOR
from consensus.ledger.election import compute_elected_powers
from consensus.ledger.staking import validate_votes
from consensus.ledger.tasks import create_task
from consensus.primitives import Address, Amount
from consensus.state import Account, Candidate, ChainState
from consensus.validators import compute_validator_set

MAX_SUPPLY: Final[Amount] = 2**60
"""Upper bound of the genesis supply, so that voting powers and priorities stay in 64 bits."""


def compute_genesis_state(genesis: Genesis) -> ChainState:
    """The state before block 1; its validators are the top candidates by backing.

    Raises InvalidParamsError when the genesis is inconsistent or elects no validator.
    """
    if not genesis.chain_id.strip():
        raise InvalidParamsError("the chain id must not be blank")
    candidates = _genesis_candidates(genesis)
    state = ChainState(
        chain_id=genesis.chain_id,
        params=genesis.params,
        time_ms=genesis.time_ms,
        accounts=_genesis_accounts(genesis, candidates),
        candidates=candidates,
    )
    state = _genesis_tasks(genesis, state)
    powers = compute_elected_powers(state, 1)
    if not powers:
        raise InvalidParamsError("the genesis elects no validator (no backed candidate)")
    valset = compute_validator_set(powers)
    return dataclasses.replace(state, validators=valset, validator_history=((1, valset),))


def _genesis_candidates(genesis: Genesis) -> dict[Address, Candidate]:
    candidates: dict[Address, Candidate] = {}
    for entry in genesis.candidates:
        if entry.address in candidates or entry.address == FEE_COLLECTOR:
            raise InvalidParamsError(f"candidate {entry.address.hex()[:16]} is duplicate/reserved")
        if not entry.moniker.strip() or not entry.moniker.isprintable():
            raise InvalidParamsError("a candidate moniker must be non-blank printable text")
        candidates[entry.address] = Candidate(moniker=entry.moniker, registered_at=0)
    return candidates


def _genesis_accounts(
    genesis: Genesis, candidates: dict[Address, Candidate]
) -> dict[Address, Account]:
    accounts: dict[Address, Account] = {}
    supply = 0
    for entry in genesis.accounts:
        if entry.address in accounts or entry.address == FEE_COLLECTOR:
            raise InvalidParamsError(f"account {entry.address.hex()[:16]} is duplicate/reserved")
        try:
            validate_votes(candidates, entry.votes, genesis.params.max_voted_candidates)
        except ConsensusError as exc:
            raise InvalidParamsError(f"genesis votes: {exc}") from None
        supply += entry.balance + entry.bonded
        accounts[entry.address] = Account(
            balance=entry.balance, bonded=entry.bonded, votes=tuple(sorted(entry.votes))
        )
    if supply > MAX_SUPPLY:
        raise InvalidParamsError(f"genesis supply {supply} exceeds {MAX_SUPPLY}")
    return accounts


def _genesis_tasks(genesis: Genesis, state: ChainState) -> ChainState:
    for entry in genesis.tasks:
        creator = state.accounts.get(entry.creator)
        if creator is None or creator.balance < entry.spec.reward_pool:
            raise InvalidParamsError("a genesis task's creator cannot fund its reward pool")
        funded = dataclasses.replace(creator, balance=creator.balance - entry.spec.reward_pool)
        try:
            state = create_task(state, entry.creator, entry.spec)
        except ConsensusError as exc:
            raise InvalidParamsError(f"genesis task: {exc}") from None
        state = dataclasses.replace(state, accounts={**state.accounts, entry.creator: funded})
    return state
