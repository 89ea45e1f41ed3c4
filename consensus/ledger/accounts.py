"""Accounts: the transaction envelope (chain id, sender, fee, nonce, funds) and transfers.

Fees are collected into ``FEE_COLLECTOR``, an account no key controls, and paid to the block's
proposer at the end of the block (``process_block``); so the supply invariant holds after every
single transaction, not only after whole blocks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from consensus.crypto import compute_hash
from consensus.errors import InvalidTransactionError
from consensus.primitives import Address, Amount
from consensus.state import Account, ChainState
from consensus.transactions import Bond, CreateTask, Transaction, Transfer, TxBody

FEE_COLLECTOR: Final[Address] = compute_hash(b"deltachain/fee-collector/v1")
"""Holds the fees of the block being applied; emptied into the proposer's balance."""

Updates = dict[Address, Account]
"""Accounts changed by a transition, merged into the state's accounts in one copy."""


def get_spend(body: TxBody) -> Amount:
    """What a transaction takes from the sender's balance besides its fee."""
    if isinstance(body, Transfer | Bond):
        return body.amount
    if isinstance(body, CreateTask):
        return body.reward_pool
    return 0


def validate_envelope(state: ChainState, tx: Transaction) -> Account:
    """Check chain id, sender, fee, nonce and funds; return the sender's account."""
    if tx.chain_id != state.chain_id:
        raise InvalidTransactionError(f"chain id {tx.chain_id!r} is not {state.chain_id!r}")
    if tx.sender == FEE_COLLECTOR:
        raise InvalidTransactionError("the fee collector cannot send transactions")
    if tx.fee < state.params.min_fee:
        raise InvalidTransactionError(f"fee {tx.fee} is below the minimum {state.params.min_fee}")
    account = state.get_account(tx.sender)
    if tx.nonce != account.nonce:
        raise InvalidTransactionError(f"nonce {tx.nonce} is not the account nonce {account.nonce}")
    needed = tx.fee + get_spend(tx.body)
    if account.balance < needed:
        raise InvalidTransactionError(f"balance {account.balance} is below fee + amount {needed}")
    return account


def charge_fee(account: Account, fee: Amount) -> Account:
    """The sender's account after paying ``fee`` and using its nonce."""
    return dataclasses.replace(account, balance=account.balance - fee, nonce=account.nonce + 1)


def credit(account: Account, amount: Amount) -> Account:
    return dataclasses.replace(account, balance=account.balance + amount)


def get_updated(state: ChainState, updates: Mapping[Address, Account], address: Address) -> Account:
    """``address``'s account as changed so far by ``updates``."""
    found = updates.get(address)
    return state.get_account(address) if found is None else found


def merge_accounts(state: ChainState, updates: Mapping[Address, Account]) -> ChainState:
    """``state`` with ``updates`` written into its accounts (one copy of the mapping)."""
    if not updates:
        return state
    return dataclasses.replace(state, accounts={**state.accounts, **updates})


def apply_transfer(
    state: ChainState, sender: Address, payer: Account, body: Transfer
) -> tuple[ChainState, Updates]:
    """Move ``body.amount`` from the sender (already charged its fee) to the recipient."""
    if body.amount <= 0:
        raise InvalidTransactionError("a transfer must move a positive amount")
    if body.recipient == FEE_COLLECTOR:
        raise InvalidTransactionError("cannot transfer to the fee collector")
    if body.recipient == sender:
        return state, {sender: payer}
    target = state.get_account(body.recipient)
    debited = dataclasses.replace(payer, balance=payer.balance - body.amount)
    return state, {sender: debited, body.recipient: credit(target, body.amount)}
