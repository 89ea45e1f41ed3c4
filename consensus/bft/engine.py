"""The Tendermint engine: pure handlers ``on_<input>(state, input, now_ms) -> (state, effects)``.

Provably bad input (a bad signature, a vote or proposal from the wrong author, a block that does
not match its proposal or a commit that does not verify) raises and leaves the state as it was;
harmless input (old heights, duplicates, far-away rounds) returns the same state and no effects.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from consensus.bft.buffer import buffer_message
from consensus.bft.decision import finalize, try_decide, try_decide_block
from consensus.bft.events import (
    AggregationsDone,
    Effect,
    EvidenceFound,
    ProposalMessage,
    ProposalTxs,
    SignProposal,
    Step,
    Timeout,
)
from consensus.bft.rules import (
    Result,
    apply_rules,
    on_precommit_timeout,
    on_prevote_timeout,
    on_propose_timeout,
    start_round,
)
from consensus.bft.state import ConsensusState, RoundState, with_rs, with_votes
from consensus.bft.validity import apply_cached, validate_block_body
from consensus.bft.votes import (
    EMPTY_HEIGHT_VOTES,
    VoteStatus,
    add_conflicting_vote,
    add_equivocator,
    add_vote,
    count_extra_values,
    get_first_vote,
    get_vote_sign_bytes,
    get_vote_status,
)
from consensus.block import FinalizedBlock
from consensus.errors import (
    ConsensusError,
    InvalidBlockError,
    InvalidCommitError,
    InvalidSignatureError,
    InvalidVoteError,
)
from consensus.ledger import build_block, process_aggregations, verify_commit
from consensus.messages import Proposal, SignedVote, Vote, VoteType
from consensus.primitives import TimestampMs
from consensus.transactions import DoubleSignEvidence
from consensus.validators import get_proposer

Handled = tuple[ConsensusState, tuple[Effect, ...]]

MAX_ROUNDS_AHEAD: Final = 100
"""Votes and proposals more than this many rounds ahead of ours are ignored (bounds memory)."""
MAX_EXTRA_VALUES: Final = 2
"""Conflicting values counted per equivocator and (round, type), besides nil and held blocks."""


def on_start(state: ConsensusState, now_ms: TimestampMs) -> Handled:
    """Start round 0 of height ``chain.height + 1`` (StartRound(0) of the paper)."""
    return _done(start_round(state, 0))


def on_vote(state: ConsensusState, signed: SignedVote, now_ms: TimestampMs) -> Handled:
    """A prevote or precommit from the network (or our own, fed back by the shell)."""
    vote = signed.vote
    rs = state.rs
    if vote.height != rs.height:
        return _on_other_height(state, signed, vote.height)
    if rs.step == Step.COMMIT or vote.round > rs.round + MAX_ROUNDS_AHEAD:
        return state, ()
    power = state.validators.get_power(vote.validator)
    if power == 0:
        raise InvalidVoteError(f"vote by {vote.validator.hex()[:16]}, not a validator")
    status = get_vote_status(state.votes, vote)
    if status is VoteStatus.DUPLICATE:
        return state, ()
    _validate_vote_signature(state, signed)
    if status is VoteStatus.CONFLICTING:
        return _done(_on_conflicting_vote(state, signed, power))
    return _done(_after_vote(with_votes(state, add_vote(state.votes, signed, power)), vote))


def on_proposal(state: ConsensusState, msg: ProposalMessage, now_ms: TimestampMs) -> Handled:
    """A proposal with its block from the round's proposer."""
    proposal = msg.signed.proposal
    rs = state.rs
    _validate_block_matches(msg)
    if proposal.height != rs.height:
        return _on_other_height(state, msg, proposal.height)
    if rs.step == Step.COMMIT or proposal.round > rs.round + MAX_ROUNDS_AHEAD:
        return state, ()
    if proposal.round in rs.proposals:
        return state, ()
    expected = get_proposer(state.validators, proposal.round)
    if proposal.proposer != expected:
        raise InvalidVoteError(f"proposal for round {proposal.round} not by its proposer")
    if not msg.signed.is_signature_valid(state.chain.chain_id, state.verify):
        raise InvalidSignatureError(f"bad proposal signature for round {proposal.round}")
    rs = replace(
        rs,
        proposals={**rs.proposals, proposal.round: msg},
        blocks={**rs.blocks, msg.block.hash: msg.block},
    )
    state = with_rs(state, rs)
    decided = try_decide_block(state, msg.block.hash)
    if decided is not None:
        return _done(decided)
    if proposal.round != rs.round:
        return state, ()
    return _done(apply_rules(state))


def on_timeout(state: ConsensusState, timeout: Timeout, now_ms: TimestampMs) -> Handled:
    """A timeout scheduled earlier fires; stale ones (moved on since) do nothing."""
    rs = state.rs
    if timeout.height != rs.height:
        return state, ()
    if timeout.step == Step.COMMIT:
        if rs.step != Step.COMMIT or rs.commit_timeout_done:
            return state, ()
        return _done(_maybe_next_height(with_rs(state, replace(rs, commit_timeout_done=True))))
    if timeout.round != rs.round or rs.step == Step.COMMIT:
        return state, ()
    if timeout.step == Step.PROPOSE and rs.step == Step.PROPOSE:
        return _done(on_propose_timeout(state))
    if timeout.step == Step.PREVOTE and rs.step == Step.PREVOTE:
        return _done(on_prevote_timeout(state))
    if timeout.step == Step.PRECOMMIT:
        return _done(on_precommit_timeout(state))
    return state, ()


def on_proposal_txs(state: ConsensusState, txs: ProposalTxs, now_ms: TimestampMs) -> Handled:
    """Our mempool's picks for the block we propose: build it and ask the signer to sign."""
    rs = state.rs
    me = state.me
    if (
        me is None
        or (txs.height, txs.round) != (rs.height, rs.round)
        or rs.step != Step.PROPOSE
        or rs.valid_value is not None
        or rs.round in rs.proposals
        or me != get_proposer(state.validators, rs.round)
    ):
        return state, ()
    time_ms = max(now_ms, state.chain.time_ms + 1)
    block = build_block(state.chain, txs.txs, me, time_ms, state.last_commit, verify=state.verify)
    return state, (SignProposal(Proposal(rs.height, rs.round, -1, block.hash, me), block),)


def on_aggregations_done(
    state: ConsensusState, done: AggregationsDone, now_ms: TimestampMs
) -> Handled:
    """The learning layer finished the tasks the decided block made ready."""
    rs = state.rs
    if rs.step != Step.COMMIT or done.height != rs.height or not rs.awaiting_aggregations:
        return state, ()
    chain = process_aggregations(state.chain, done.results)
    state = replace(state, chain=chain, rs=replace(rs, awaiting_aggregations=False))
    return _done(_maybe_next_height(state))


def on_finalized_block(
    state: ConsensusState, finalized: FinalizedBlock, now_ms: TimestampMs
) -> Handled:
    """Block sync: a peer's block with its commit for the height we are deciding.

    While we wait in the commit step, a block of the next height is taken too (the next height
    starts at once): a node catching up need not wait ``timeout_commit`` per block.
    """
    block = finalized.block
    rs = state.rs
    is_next = block.height == rs.height + 1 and rs.step == Step.COMMIT
    catching_up = is_next and not rs.awaiting_aggregations
    if not catching_up and (block.height != rs.height or rs.step == Step.COMMIT):
        return state, ()
    _validate_commit_of(state, finalized)
    effects: list[Effect] = []
    if catching_up:
        state, effects = _start_next_height(state)
        if state.rs.step == Step.COMMIT:  # the buffered messages decided it already
            return state, tuple(effects)
    state, applied = apply_cached(state, block)
    if applied is None:
        raise InvalidBlockError(f"block {block.hash.hex()[:16]} is committed but does not apply")
    state, more = finalize(state, block, finalized.commit, applied)
    return state, tuple(effects + more)


# ---- helpers --------------------------------------------------------------------------------


def _done(result: Result) -> Handled:
    return result[0], tuple(result[1])


def _validate_vote_signature(state: ConsensusState, signed: SignedVote) -> None:
    vote = signed.vote
    sign_bytes = get_vote_sign_bytes(vote, state.chain.chain_id)
    if not state.verify(vote.validator, sign_bytes, signed.signature):
        raise InvalidSignatureError(f"bad vote signature by {vote.validator.hex()[:16]}")


def _validate_commit_of(state: ConsensusState, finalized: FinalizedBlock) -> None:
    block, commit = finalized.block, finalized.commit
    if commit.height != block.height or commit.block_hash != block.hash:
        raise InvalidCommitError("the commit is not for this block")
    validate_block_body(block)
    verify_commit(state.validators, state.chain.chain_id, commit, state.verify)


def _validate_block_matches(msg: ProposalMessage) -> None:
    proposal = msg.signed.proposal
    if msg.block.hash != proposal.block_hash:
        raise InvalidBlockError("the block does not match the proposal's block hash")
    if msg.block.height != proposal.height:
        raise InvalidBlockError("the block's height differs from the proposal's")
    validate_block_body(msg.block)


def _on_other_height(
    state: ConsensusState, message: SignedVote | ProposalMessage, height: int
) -> Handled:
    if height == state.rs.height + 1:
        return buffer_message(state, message), ()
    return state, ()


def _on_conflicting_vote(state: ConsensusState, signed: SignedVote, power: int) -> Result:
    """An equivocation: evidence the first time, and the vote counts for its value (bounded)."""
    vote = signed.vote
    effects: list[Effect] = []
    if vote.validator not in state.votes.equivocators:
        first = get_first_vote(state.votes, vote)
        if first is None:  # pragma: no cover - CONFLICTING implies a first vote
            raise InvalidVoteError("no first vote to conflict with")
        effects.append(EvidenceFound(DoubleSignEvidence(first, signed)))
        state = with_votes(state, add_equivocator(state.votes, vote.validator))
    is_relevant = vote.block_hash is None or vote.block_hash in state.rs.blocks
    if not is_relevant and count_extra_values(state.votes, vote) >= MAX_EXTRA_VALUES:
        return state, effects
    state = with_votes(state, add_conflicting_vote(state.votes, signed, power))
    state, more = _after_vote(state, vote)
    return state, effects + more


def _after_vote(state: ConsensusState, vote: Vote) -> Result:
    if vote.vote_type == VoteType.PRECOMMIT:
        decided = try_decide(state, vote.round, vote.block_hash)
        if decided is not None:
            return decided
    rs = state.rs
    if vote.round > rs.round:
        if state.validators.is_one_third(state.votes.get_round_power(vote.round)):
            return start_round(state, vote.round)  # line 55: f+1 of a higher round
        return state, []
    if vote.round < rs.round:
        return apply_rules(state) if _may_justify_proposal(state, vote) else (state, [])
    if vote.vote_type == VoteType.PRECOMMIT:
        return apply_rules(state) if not rs.precommit_timeout_scheduled else (state, [])
    if rs.step == Step.PREVOTE or (rs.step == Step.PRECOMMIT and not rs.polka_seen):
        return apply_rules(state)  # lines 34, 36, 44; nothing else counts this round's prevotes
    return state, []


def _may_justify_proposal(state: ConsensusState, vote: Vote) -> bool:
    """Whether an old round's vote may complete the polka of the current proposal (line 28)."""
    rs = state.rs
    msg = rs.proposals.get(rs.round)
    return (
        rs.step == Step.PROPOSE
        and msg is not None
        and vote.vote_type == VoteType.PREVOTE
        and msg.signed.proposal.pol_round == vote.round
    )


def _maybe_next_height(state: ConsensusState) -> Result:
    rs = state.rs
    if not rs.commit_timeout_done or rs.awaiting_aggregations:
        return state, []
    return _start_next_height(state)


def _start_next_height(state: ConsensusState) -> Result:
    """Round 0 of height ``chain.height + 1``, then the buffered messages of that height."""
    future = state.future
    fresh = ConsensusState(
        state.chain,
        state.me,
        RoundState(height=state.chain.height + 1),
        EMPTY_HEIGHT_VOTES,
        {},
        state.last_commit,
        state.verify,
    )
    state, effects = start_round(fresh, 0)
    for message in future.values():
        try:
            if isinstance(message, SignedVote):
                state, more = on_vote(state, message, 0)
            else:
                state, more = on_proposal(state, message, 0)
        except ConsensusError:
            continue  # checked against the set we knew then; the new one may disagree
        effects.extend(more)
    return state, effects
