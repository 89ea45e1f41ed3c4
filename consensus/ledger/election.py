"""Election of the validator set and the record of past sets.

At every epoch boundary (a block whose height is a multiple of ``epoch_length``) the top
``max_validators`` candidates by backing that are not jailed at the next height become the set
for the next height, with power equal to their backing (ties: lower address first). An election
that would leave no validator keeps the old set.
"""

from __future__ import annotations

from consensus.ledger.errors import UnknownHeightError
from consensus.ledger.staking import compute_backing
from consensus.params import ChainParams
from consensus.primitives import Address, Height, Stake
from consensus.state import ChainState
from consensus.validators import ValidatorSet, compute_validator_set

ValidatorHistory = tuple[tuple[Height, ValidatorSet], ...]


def compute_elected_powers(state: ChainState, next_height: Height) -> dict[Address, Stake]:
    """The powers of the candidates that an election at this state would choose."""
    backing = compute_backing(state.accounts.values())
    eligible = [
        (address, stake)
        for address, stake in backing.items()
        if stake > 0
        and address in state.candidates
        and not state.candidates[address].is_jailed(next_height)
    ]
    eligible.sort(key=lambda item: (-item[1], item[0]))
    return dict(eligible[: state.params.max_validators])


def elect_validators(
    state: ChainState, previous: ValidatorSet, next_height: Height
) -> ValidatorSet:
    """The set for ``next_height``: elected powers, or ``previous`` if none are eligible."""
    powers = compute_elected_powers(state, next_height)
    if not powers:
        return previous
    return compute_validator_set(powers, previous)


def remove_jailed(state: ChainState, valset: ValidatorSet, next_height: Height) -> ValidatorSet:
    """``valset`` without members jailed at ``next_height`` (others keep their powers).

    If every member is jailed the set is kept: a chain with no validators cannot continue.
    """
    kept = {
        v.address: v.power
        for v in valset.validators
        if not _is_jailed(state, v.address, next_height)
    }
    if len(kept) == len(valset) or not kept:
        return valset
    return compute_validator_set(kept, valset)


def _is_jailed(state: ChainState, address: Address, height: Height) -> bool:
    candidate = state.candidates.get(address)
    return candidate is not None and candidate.is_jailed(height)


def get_history_floor(params: ChainParams, next_height: Height) -> Height:
    """The oldest height whose validator set must stay known (evidence and last commit)."""
    return max(1, next_height - max(1, params.evidence_max_age))


def record_history(
    history: ValidatorHistory, start: Height, valset: ValidatorSet, floor: Height
) -> ValidatorHistory:
    """Append ``valset`` as the set from ``start`` on (if its powers changed), then prune
    entries that only cover heights below ``floor``."""
    if not history or history[-1][1].hash != valset.hash:
        history = (*history, (start, valset))
    first = 0
    while first + 1 < len(history) and history[first + 1][0] <= floor:
        first += 1
    return history[first:]


def get_validator_set_at(state: ChainState, height: Height) -> ValidatorSet:
    """The validator set (powers) that decided ``height``; for commits and evidence."""
    if height == state.height + 1:
        return state.validators
    if height < 1 or height > state.height + 1:
        raise UnknownHeightError(f"no validator set for height {height} at {state.height}")
    for start, valset in reversed(state.validator_history):
        if start <= height:
            return valset
    raise UnknownHeightError(f"the validator set for height {height} has been pruned")
