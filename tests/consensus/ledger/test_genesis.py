"""compute_genesis_state: accounts, candidates, tasks, the first validator set."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.errors import InvalidParamsError
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate, GenesisTask
from consensus.ledger import FEE_COLLECTOR, compute_genesis_state, compute_supply
from consensus.ledger.devnet import make_devnet_genesis
from consensus.ledger.genesis import MAX_SUPPLY
from tests.consensus.ledger.chain import CHAIN_ID, SPEC, USERS, VALIDATORS

V = [k.address for k in VALIDATORS]
BASE = make_devnet_genesis(CHAIN_ID, VALIDATORS, stake=100, balance=1_000, time_ms=5)


def test_genesis_state_has_accounts_candidates_and_validators():
    state = compute_genesis_state(BASE)
    assert (state.height, state.time_ms, state.chain_id) == (0, 5, CHAIN_ID)
    assert compute_supply(state) == 4 * 1_100
    assert set(state.candidates) == set(V)
    assert state.validators.powers == dict.fromkeys(V, 100)
    assert state.minted == state.burned == 0


def test_genesis_task_escrows_from_creator():
    genesis = dataclasses.replace(BASE, tasks=(GenesisTask(V[0], SPEC),))
    state = compute_genesis_state(genesis)
    assert state.tasks[1].pool == SPEC.reward_pool
    assert state.get_account(V[0]).balance == 1_000 - SPEC.reward_pool
    assert compute_supply(state) == 4 * 1_100


def test_genesis_candidate_without_backing_is_not_a_validator():
    extra = GenesisCandidate(USERS[0].address, "idle")
    state = compute_genesis_state(dataclasses.replace(BASE, candidates=(*BASE.candidates, extra)))
    assert USERS[0].address in state.candidates
    assert USERS[0].address not in state.validators


def bad_geneses() -> list[tuple[Genesis, str]]:
    dup = BASE.accounts[0]
    return [
        (dataclasses.replace(BASE, chain_id=" "), "chain id"),
        (dataclasses.replace(BASE, accounts=(*BASE.accounts, dup)), "duplicate"),
        (
            dataclasses.replace(BASE, accounts=(*BASE.accounts, GenesisAccount(FEE_COLLECTOR))),
            "reserved",
        ),
        (dataclasses.replace(BASE, candidates=BASE.candidates * 2), "duplicate"),
        (
            dataclasses.replace(
                BASE, candidates=(*BASE.candidates, GenesisCandidate(FEE_COLLECTOR, "fees"))
            ),
            "reserved",
        ),
        (dataclasses.replace(BASE, candidates=(GenesisCandidate(V[0], ""),)), "moniker"),
        (dataclasses.replace(BASE, candidates=()), "not a candidate"),
        (
            dataclasses.replace(
                BASE, accounts=(GenesisAccount(V[0], bonded=5, votes=(V[0], V[0])),)
            ),
            "duplicate candidate",
        ),
        (dataclasses.replace(BASE, accounts=(GenesisAccount(V[0], balance=9),)), "no validator"),
        (
            dataclasses.replace(BASE, accounts=(GenesisAccount(V[0], balance=MAX_SUPPLY + 1),)),
            "supply",
        ),
        (dataclasses.replace(BASE, tasks=(GenesisTask(USERS[0].address, SPEC),)), "fund"),
        (
            dataclasses.replace(
                BASE, tasks=(GenesisTask(V[0], dataclasses.replace(SPEC, min_deltas=0)),)
            ),
            "min_deltas",
        ),
    ]


@pytest.mark.parametrize(("genesis", "match"), bad_geneses())
def test_genesis_inconsistent_genesis_is_rejected(genesis, match):
    with pytest.raises(InvalidParamsError, match=match):
        compute_genesis_state(genesis)
