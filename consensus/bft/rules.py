"""The upon-rules of Algorithm 1 that act within the current round (lines 11-47, 57-65).

Each rule takes the state and returns the new state with the effects it caused; ``apply_rules``
fires rules until none applies. A rule that does not apply returns the very same state object.
"""

from __future__ import annotations

from dataclasses import replace

from consensus.bft.events import (
    Effect,
    ProposalMessage,
    RequestProposalTxs,
    ScheduleTimeout,
    SignProposal,
    SignVote,
    Step,
    Timeout,
)
from consensus.bft.state import ConsensusState, with_rs
from consensus.bft.validity import check_valid
from consensus.messages import Proposal, Vote, VoteType
from consensus.params import ChainParams
from consensus.primitives import Hash32, Round
from consensus.validators import get_proposer

Result = tuple[ConsensusState, list[Effect]]


def get_timeout_ms(params: ChainParams, step: Step, round_: Round) -> int:
    """timeoutPropose/Prevote/Precommit(round) = base + round x delta; the commit wait is flat."""
    if step == Step.PROPOSE:
        return params.timeout_propose_ms + round_ * params.timeout_propose_delta_ms
    if step == Step.PREVOTE:
        return params.timeout_prevote_ms + round_ * params.timeout_prevote_delta_ms
    if step == Step.PRECOMMIT:
        return params.timeout_precommit_ms + round_ * params.timeout_precommit_delta_ms
    return params.timeout_commit_ms


def schedule(state: ConsensusState, step: Step) -> ScheduleTimeout:
    delay = get_timeout_ms(state.chain.params, step, state.rs.round)
    return ScheduleTimeout(Timeout(state.rs.height, state.rs.round, step), delay)


def cast_vote(
    state: ConsensusState, vote_type: VoteType, block_hash: Hash32 | None
) -> list[Effect]:
    """SignVote for our vote in the current round, if we are a validator of this height."""
    me = state.me
    if me is None or me not in state.validators:
        return []
    return [SignVote(Vote(vote_type, state.rs.height, state.rs.round, block_hash, me))]


def start_round(state: ConsensusState, round_: Round) -> Result:
    """StartRound(round) (line 11): propose if it is our turn, else wait for the proposal."""
    rs = replace(
        state.rs,
        round=round_,
        step=Step.PROPOSE,
        prevote_timeout_scheduled=False,
        precommit_timeout_scheduled=False,
        polka_seen=False,
    )
    state = with_rs(state, rs)
    effects: list[Effect] = []
    if state.me is not None and state.me == get_proposer(state.validators, round_):
        if rs.valid_value is not None:
            proposal = Proposal(rs.height, round_, rs.valid_round, rs.valid_value.hash, state.me)
            effects.append(SignProposal(proposal, rs.valid_value))
        else:
            effects.append(RequestProposalTxs(rs.height, round_))
    effects.append(schedule(state, Step.PROPOSE))
    state, more = apply_rules(state)
    return state, effects + more


def apply_rules(state: ConsensusState) -> Result:
    """Fire the current round's rules until none applies."""
    effects: list[Effect] = []
    while True:
        new_state, fired = _fire_one(state)
        if new_state is state:
            return state, effects
        state = new_state
        effects.extend(fired)


def _fire_one(state: ConsensusState) -> Result:
    step = state.rs.step
    if step == Step.COMMIT:
        return state, []
    rules = _PROPOSE_RULES if step == Step.PROPOSE else _VOTING_RULES
    for rule in rules:
        new_state, effects = rule(state)
        if new_state is not state:
            return new_state, effects
    return state, []


def _on_proposal_in_propose(state: ConsensusState) -> Result:
    """Lines 22 and 28: prevote for the round's proposal (or nil) while in the propose step."""
    rs = state.rs
    msg = rs.proposals.get(rs.round)
    if msg is None:
        return state, []
    pol_round = msg.signed.proposal.pol_round
    block_hash = msg.block.hash
    votes = state.votes
    if pol_round >= 0 and not state.validators.is_quorum(
        votes.get(pol_round, VoteType.PREVOTE).get_power(block_hash)
    ):
        return state, []
    state, applied = check_valid(state, msg.block, rs.round, pol_round)
    unlocked = rs.locked_round <= pol_round
    is_locked_on_it = rs.locked_value is not None and rs.locked_value.hash == block_hash
    choice = block_hash if applied is not None and (unlocked or is_locked_on_it) else None
    effects = cast_vote(state, VoteType.PREVOTE, choice)
    return with_rs(state, replace(state.rs, step=Step.PREVOTE)), effects


def _on_polka_for_proposal(state: ConsensusState) -> Result:
    """Line 36: 2f+1 prevotes for the round's valid proposal: lock (if prevoting), remember."""
    rs = state.rs
    msg: ProposalMessage | None = rs.proposals.get(rs.round)
    if rs.polka_seen or msg is None:
        return state, []
    block_hash = msg.block.hash
    if not state.validators.is_quorum(
        state.votes.get(rs.round, VoteType.PREVOTE).get_power(block_hash)
    ):
        return state, []
    state, applied = check_valid(state, msg.block, rs.round, msg.signed.proposal.pol_round)
    if applied is None:
        return state, []
    rs = replace(state.rs, valid_value=msg.block, valid_round=rs.round, polka_seen=True)
    effects: list[Effect] = []
    if rs.step == Step.PREVOTE:
        rs = replace(rs, locked_value=msg.block, locked_round=rs.round, step=Step.PRECOMMIT)
        effects = cast_vote(state, VoteType.PRECOMMIT, block_hash)
    return with_rs(state, rs), effects


def _on_any_prevotes(state: ConsensusState) -> Result:
    """Line 34: 2f+1 prevotes of any kind in the prevote step: schedule timeoutPrevote."""
    rs = state.rs
    if rs.step != Step.PREVOTE or rs.prevote_timeout_scheduled:
        return state, []
    if not state.validators.is_quorum(state.votes.get(rs.round, VoteType.PREVOTE).total):
        return state, []
    return with_rs(state, replace(rs, prevote_timeout_scheduled=True)), [
        schedule(state, Step.PREVOTE)
    ]


def _on_nil_polka(state: ConsensusState) -> Result:
    """Line 44: 2f+1 prevotes for nil in the prevote step: precommit nil."""
    rs = state.rs
    if rs.step != Step.PREVOTE:
        return state, []
    if not state.validators.is_quorum(state.votes.get(rs.round, VoteType.PREVOTE).get_power(None)):
        return state, []
    effects = cast_vote(state, VoteType.PRECOMMIT, None)
    return with_rs(state, replace(rs, step=Step.PRECOMMIT)), effects


def _on_any_precommits(state: ConsensusState) -> Result:
    """Line 47: 2f+1 precommits of any kind in this round: schedule timeoutPrecommit."""
    rs = state.rs
    if rs.precommit_timeout_scheduled or rs.step == Step.COMMIT:
        return state, []
    if not state.validators.is_quorum(state.votes.get(rs.round, VoteType.PRECOMMIT).total):
        return state, []
    return with_rs(state, replace(rs, precommit_timeout_scheduled=True)), [
        schedule(state, Step.PRECOMMIT)
    ]


def on_propose_timeout(state: ConsensusState) -> Result:
    """Line 57: no acceptable proposal in time: prevote nil."""
    effects = cast_vote(state, VoteType.PREVOTE, None)
    state, more = apply_rules(with_rs(state, replace(state.rs, step=Step.PREVOTE)))
    return state, effects + more


def on_prevote_timeout(state: ConsensusState) -> Result:
    """Line 61: no polka in time: precommit nil."""
    effects = cast_vote(state, VoteType.PRECOMMIT, None)
    state, more = apply_rules(with_rs(state, replace(state.rs, step=Step.PRECOMMIT)))
    return state, effects + more


_PROPOSE_RULES = (_on_proposal_in_propose, _on_any_precommits)
_VOTING_RULES = (_on_polka_for_proposal, _on_any_prevotes, _on_nil_polka, _on_any_precommits)


def on_precommit_timeout(state: ConsensusState) -> Result:
    """Line 65: no decision in this round in time: start the next round."""
    return start_round(state, state.rs.round + 1)
