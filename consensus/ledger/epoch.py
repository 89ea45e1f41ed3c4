"""The validator set for the next height: priorities, jail removals, epoch elections."""

from __future__ import annotations

from consensus.ledger.election import (
    ValidatorHistory,
    elect_validators,
    get_history_floor,
    record_history,
    remove_jailed,
)
from consensus.primitives import Height
from consensus.state import ChainState
from consensus.validators import ValidatorSet, advance_priorities


def is_epoch_boundary(state: ChainState, height: Height) -> bool:
    return height % state.params.epoch_length == 0


def compute_next_validators(
    state: ChainState, height: Height
) -> tuple[ValidatorSet, ValidatorHistory]:
    """The base set for ``height + 1`` after block ``height``, and the updated history."""
    next_height = height + 1
    advanced = advance_priorities(state.validators, 1)
    valset = remove_jailed(state, advanced, next_height)
    if is_epoch_boundary(state, height):
        valset = elect_validators(state, valset, next_height)
    floor = get_history_floor(state.params, next_height)
    history = record_history(state.validator_history, next_height, valset, floor)
    return valset, history
