"""The genesis description: initial accounts, candidates, stake, votes and training tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from consensus.encoding import MaxLen
from consensus.params import ChainParams
from consensus.primitives import U64, AddressField, ChainIdField, NameField
from consensus.transactions import CreateTask


@dataclass(frozen=True)
class GenesisAccount:
    """An initial account: liquid balance, bonded stake and the candidates that stake backs."""

    address: AddressField
    balance: U64 = 0
    bonded: U64 = 0
    votes: tuple[AddressField, ...] = ()


@dataclass(frozen=True)
class GenesisCandidate:
    """A candidate registered at genesis."""

    address: AddressField
    moniker: NameField


@dataclass(frozen=True)
class GenesisTask:
    """A training task created at genesis, its pool escrowed from ``creator``'s balance."""

    creator: AddressField
    spec: CreateTask


@dataclass(frozen=True)
class Genesis:
    """Everything needed to compute the state before height 1."""

    chain_id: ChainIdField
    time_ms: U64
    params: ChainParams = field(default_factory=ChainParams)
    accounts: Annotated[tuple[GenesisAccount, ...], MaxLen(100_000)] = ()
    candidates: Annotated[tuple[GenesisCandidate, ...], MaxLen(10_000)] = ()
    tasks: Annotated[tuple[GenesisTask, ...], MaxLen(1_000)] = ()
