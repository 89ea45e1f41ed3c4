"""Deciding a block (line 49 of Algorithm 1, and block sync) and the commit step after it.

A decided block is applied with its cached ``process_block`` outcome; the engine then waits in
``Step.COMMIT`` for ``timeout_commit`` and, when the block made tasks ready, for the learning
layer's ``AggregationsDone`` before the next height starts.
"""

from __future__ import annotations

from dataclasses import replace

from consensus.bft.events import Effect, Finalized, Step
from consensus.bft.rules import Result, schedule
from consensus.bft.state import AppliedBlock, ConsensusState
from consensus.bft.validity import apply_cached, is_proposer_plausible
from consensus.bft.votes import compute_commit
from consensus.block import Block, Commit, FinalizedBlock
from consensus.messages import VoteType
from consensus.primitives import Hash32, Round


def try_decide(state: ConsensusState, round_: Round, block_hash: Hash32 | None) -> Result | None:
    """Line 49: 2f+1 precommits for a block we hold and that is valid decide it; else None."""
    rs = state.rs
    if block_hash is None or rs.step == Step.COMMIT:
        return None
    power = state.votes.get(round_, VoteType.PRECOMMIT).get_power(block_hash)
    if not state.validators.is_quorum(power):
        return None
    block = rs.blocks.get(block_hash)
    if block is None:
        return None
    if not is_proposer_plausible(state.validators, block.header.proposer, round_, round_):
        return None
    state, applied = apply_cached(state, block)
    if applied is None:
        return None
    commit = compute_commit(state.votes, rs.height, round_, block_hash)
    return finalize(state, block, commit, applied)


def try_decide_block(state: ConsensusState, block_hash: Hash32) -> Result | None:
    """Line 49 for a block that just arrived: any round with 2f+1 precommits for it."""
    for round_ in tuple(state.votes.precommits):
        decided = try_decide(state, round_, block_hash)
        if decided is not None:
            return decided
    return None


def finalize(state: ConsensusState, block: Block, commit: Commit, applied: AppliedBlock) -> Result:
    """Apply the decided block, emit Finalized and wait in the commit step."""
    rs = replace(
        state.rs,
        step=Step.COMMIT,
        commit_timeout_done=False,
        awaiting_aggregations=bool(applied.ready_tasks),
    )
    wait = schedule(state, Step.COMMIT)
    new_state = replace(state, chain=applied.state, rs=rs, last_commit=commit)
    finalized = Finalized(
        FinalizedBlock(block, commit), applied.state, applied.ready_tasks, commit.round
    )
    effects: list[Effect] = [finalized, wait]
    return new_state, effects
