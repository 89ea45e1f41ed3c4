"""The genesis of a simulated chain: N validators, each a candidate backed by its own stake."""

from __future__ import annotations

import dataclasses
from typing import Final

from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate
from consensus.params import ChainParams

DEFAULT_STAKE: Final = 1_000_000
INITIAL_BALANCE: Final = 1_000_000_000


def build_genesis(
    keypairs: tuple[KeyPair, ...],
    stakes: tuple[int, ...],
    chain_id: str,
    params: ChainParams | None = None,
) -> Genesis:
    """Every validator bonds its stake and votes for itself; ``max_validators`` = N."""
    if stakes and len(stakes) != len(keypairs):
        raise ValueError("one stake per validator, or none for equal stakes")
    powers = stakes or (DEFAULT_STAKE,) * len(keypairs)
    base = params if params is not None else ChainParams()
    chain_params = dataclasses.replace(base, max_validators=len(keypairs))
    accounts = tuple(
        GenesisAccount(kp.address, INITIAL_BALANCE, stake, (kp.address,))
        for kp, stake in zip(keypairs, powers, strict=True)
    )
    candidates = tuple(
        GenesisCandidate(kp.address, f"validator-{i}") for i, kp in enumerate(keypairs)
    )
    return Genesis(chain_id, 0, chain_params, accounts, candidates)
