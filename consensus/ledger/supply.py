"""The supply invariant: what exists equals what genesis created, plus minted, minus burned."""

from __future__ import annotations

from consensus.primitives import Amount
from consensus.state import ChainState


def compute_supply(state: ChainState) -> Amount:
    """All tokens held: balances, bonded and unbonding stake, and task reward pools.

    For every reachable state ``compute_supply(state) == genesis supply + state.minted -
    state.burned``.
    """
    held = sum(account.total for account in state.accounts.values())
    return held + sum(task.pool for task in state.tasks.values())
