"""The validator set: voting power per validator and weighted round-robin proposer selection.

Proposer selection follows CometBFT's priority algorithm: each step every validator's priority
grows by its power, the highest priority (ties to the lower address) proposes and pays the total
power back. Over time each validator proposes in proportion to its power. Priorities are kept
centred on zero and within a window of twice the total power.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from consensus.crypto import compute_hash
from consensus.encoding import MaxLen, encode
from consensus.primitives import I64, U64, Address, AddressField, Hash32, Round, Stake

PRIORITY_WINDOW_FACTOR = 2


@dataclass(frozen=True)
class Validator:
    """One member of the set: its voting power and proposer priority."""

    address: AddressField
    power: U64
    proposer_priority: I64 = 0


@dataclass(frozen=True)
class ValidatorSet:
    """Validators sorted by address; every power is positive."""

    validators: Annotated[tuple[Validator, ...], MaxLen(1_000)]

    def __post_init__(self) -> None:
        addresses = [v.address for v in self.validators]
        if addresses != sorted(set(addresses)):
            raise ValueError("validators must be sorted by address and unique")
        if any(v.power <= 0 for v in self.validators):
            raise ValueError("every validator needs positive power")

    @functools.cached_property
    def total_power(self) -> Stake:
        return sum(v.power for v in self.validators)

    @functools.cached_property
    def powers(self) -> Mapping[Address, Stake]:
        return {v.address: v.power for v in self.validators}

    @functools.cached_property
    def hash(self) -> Hash32:
        return compute_hash(encode([[v.address, v.power] for v in self.validators]))

    def __len__(self) -> int:
        return len(self.validators)

    def __contains__(self, address: object) -> bool:
        return address in self.powers

    def get_power(self, address: Address) -> Stake:
        return self.powers.get(address, 0)

    def is_quorum(self, power: Stake) -> bool:
        """Whether ``power`` is more than two thirds of the total."""
        return 3 * power > 2 * self.total_power

    def is_one_third(self, power: Stake) -> bool:
        """Whether ``power`` is more than one third (at least one honest validator among it)."""
        return 3 * power > self.total_power


def compute_validator_set(
    powers: Mapping[Address, Stake], previous: ValidatorSet | None = None
) -> ValidatorSet:
    """A new set with these powers; members of ``previous`` keep their priorities.

    Newcomers start at -1.125 x total power so that joining cannot be used to propose at once.
    """
    total = sum(p for p in powers.values() if p > 0)
    old = {v.address: v.proposer_priority for v in previous.validators} if previous else {}
    newcomer = -(total + total // 8)
    members = tuple(
        Validator(addr, power, old.get(addr, newcomer))
        for addr, power in sorted(powers.items())
        if power > 0
    )
    return _centre_and_rescale(members)


def _centre_and_rescale(members: tuple[Validator, ...]) -> ValidatorSet:
    if not members:
        return ValidatorSet(())
    total = sum(v.power for v in members)
    priorities = [v.proposer_priority for v in members]
    spread = max(priorities) - min(priorities)
    window = PRIORITY_WINDOW_FACTOR * total
    divisor = -(-spread // window) if spread > window else 1
    scaled = [p // divisor for p in priorities]
    average = sum(scaled) // len(scaled)
    return ValidatorSet(
        tuple(
            Validator(v.address, v.power, p - average) for v, p in zip(members, scaled, strict=True)
        )
    )


def _step(validators: list[Validator], total: Stake) -> Address:
    for i, v in enumerate(validators):
        validators[i] = Validator(v.address, v.power, v.proposer_priority + v.power)
    chosen = max(range(len(validators)), key=lambda i: (validators[i].proposer_priority, _neg(i)))
    v = validators[chosen]
    validators[chosen] = Validator(v.address, v.power, v.proposer_priority - total)
    return v.address


def _neg(index: int) -> int:
    return -index


def advance_priorities(valset: ValidatorSet, steps: int = 1) -> ValidatorSet:
    """The set after ``steps`` proposer selections (done once per committed height)."""
    if not valset.validators or steps <= 0:
        return valset
    members = list(_centre_and_rescale(valset.validators).validators)
    for _ in range(steps):
        _step(members, valset.total_power)
    return _centre_and_rescale(tuple(members))


@functools.lru_cache(maxsize=256)
def get_proposer(valset: ValidatorSet, round_: Round) -> Address:
    """The proposer of round ``round_`` at the height whose base set is ``valset``.

    Memoised for the nodes of a simulation, which ask about the same recent heights; every
    height has its own set (priorities move), so the memo is kept to a few hundred."""
    if not valset.validators:
        raise ValueError("an empty validator set has no proposer")
    members = list(_centre_and_rescale(valset.validators).validators)
    chosen = b""
    for _ in range(round_ + 1):
        chosen = _step(members, valset.total_power)
    return chosen
