"""Rewards: the block reward (minted) and the block's fees go to its proposer."""

from __future__ import annotations

import dataclasses

from consensus.ledger.accounts import FEE_COLLECTOR, credit
from consensus.primitives import Address
from consensus.state import ChainState


def pay_proposer(state: ChainState, proposer: Address) -> ChainState:
    """Mint ``block_reward`` and empty the fee collector into the proposer's balance."""
    fees = state.get_account(FEE_COLLECTOR).balance
    reward = state.params.block_reward
    accounts = dict(state.accounts)
    accounts.pop(FEE_COLLECTOR, None)
    if reward + fees:
        accounts[proposer] = credit(state.get_account(proposer), reward + fees)
    return dataclasses.replace(state, accounts=accounts, minted=state.minted + reward)
