"""Blocks: ``process_block``, the transition every node applies to a proposed block.

A block at height ``h`` is applied in three phases:

1. begin: verify ``last_commit`` (the commit of ``h - 1``) against the set of ``h - 1`` and
   track downtime from it;
2. transactions, in order; any invalid transaction makes the whole block invalid;
3. end: block reward and fees to the proposer, unbonding releases, validator set changes
   (jailed members removed; an election when ``h % epoch_length == 0``), proposer priorities.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from consensus.block import Block, BlockHeader, Commit, compute_last_commit_hash, compute_txs_hash
from consensus.crypto import Verifier, verify_signature
from consensus.encoding import encode
from consensus.errors import ConsensusError, InvalidBlockError, InvalidCommitError
from consensus.ledger.commit import verify_commit
from consensus.ledger.election import get_validator_set_at
from consensus.ledger.epoch import compute_next_validators
from consensus.ledger.rewards import pay_proposer
from consensus.ledger.slashing import process_downtime
from consensus.ledger.staking import release_unbonding
from consensus.ledger.tasks import get_ready_tasks
from consensus.ledger.transition import process_transaction
from consensus.primitives import Height, TaskId, TimestampMs
from consensus.state import ChainState
from consensus.transactions import SignedTransaction


@dataclass(frozen=True)
class BlockOutcome:
    """The state after a block, and the tasks now ready for aggregation."""

    state: ChainState
    ready_tasks: tuple[TaskId, ...]


def process_block(
    state: ChainState, block: Block, verify: Verifier = verify_signature
) -> BlockOutcome:
    """Apply a block proposed on top of ``state``; raise InvalidBlockError/InvalidCommitError."""
    validate_header(state, block)
    new_state = begin_block(state, block.last_commit, verify)
    for index, stx in enumerate(block.txs):
        try:
            new_state = process_transaction(new_state, stx, verify)
        except ConsensusError as exc:
            raise InvalidBlockError(f"transaction {index} is invalid: {exc}") from exc
    new_state = end_block(new_state, block.header)
    return BlockOutcome(new_state, get_ready_tasks(new_state))


def validate_header(state: ChainState, block: Block) -> None:
    """Raise InvalidBlockError unless the header follows from ``state`` and the block body."""
    header = block.header
    params = state.params
    _expect(header.chain_id == state.chain_id, "wrong chain id")
    _expect(header.height == state.height + 1, f"height {header.height} is not next")
    _expect(_is_time_valid(state, header.time_ms), f"time {header.time_ms} goes backwards")
    _expect(header.proposer in state.validators, "the proposer is not a validator")
    _expect(header.parent_hash == state.last_block_hash, "wrong parent hash")
    _expect(header.app_hash == state.app_hash, "wrong app hash")
    _expect(header.validators_hash == state.validators.hash, "wrong validators hash")
    _expect(len(block.txs) <= params.max_block_txs, f"{len(block.txs)} txs exceed the limit")
    _expect(header.txs_hash == compute_txs_hash(block.txs), "wrong txs hash")
    _expect(
        header.last_commit_hash == compute_last_commit_hash(block.last_commit),
        "wrong last commit hash",
    )
    size = sum(get_tx_size(stx) for stx in block.txs)
    _expect(size <= params.max_block_bytes, f"{size} tx bytes exceed the limit")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidBlockError(message)


def _is_time_valid(state: ChainState, time_ms: TimestampMs) -> bool:
    return time_ms > state.time_ms if state.height > 0 else time_ms >= state.time_ms


def get_tx_size(stx: SignedTransaction) -> int:
    """A transaction's encoded size, what counts against ``max_block_bytes``."""
    return len(encode(stx))


def begin_block(state: ChainState, last_commit: Commit | None, verify: Verifier) -> ChainState:
    """Verify the previous block's commit and track downtime from it."""
    if state.height == 0:
        if last_commit is not None:
            raise InvalidCommitError("the first block has no last commit")
        return state
    if last_commit is None:
        raise InvalidCommitError(f"block {state.height + 1} lacks the commit of {state.height}")
    if last_commit.height != state.height or last_commit.block_hash != state.last_block_hash:
        raise InvalidCommitError("the last commit is not for the parent block")
    valset = get_validator_set_at(state, state.height)
    verify_commit(valset, state.chain_id, last_commit, verify)
    return process_downtime(state, last_commit, valset, state.height + 1)


def end_block(state: ChainState, header: BlockHeader) -> ChainState:
    """Rewards, unbonding releases, the next validator set, and the new chain head."""
    height: Height = header.height
    paid = pay_proposer(state, header.proposer)
    released = release_unbonding(paid.accounts, height)
    if released:
        paid = dataclasses.replace(paid, accounts={**paid.accounts, **released})
    validators, history = compute_next_validators(paid, height)
    return dataclasses.replace(
        paid,
        height=height,
        time_ms=header.time_ms,
        last_block_hash=header.hash,
        validators=validators,
        validator_history=history,
    )
