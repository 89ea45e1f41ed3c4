"""Tendermint's round structure: decide in round 0, timeouts, new proposers, round skips."""

from __future__ import annotations

from consensus.bft.engine import MAX_ROUNDS_AHEAD, on_proposal, on_start, on_timeout, on_vote
from consensus.bft.events import (
    Finalized,
    RequestProposalTxs,
    ScheduleTimeout,
    SignVote,
    Step,
    Timeout,
)
from consensus.bft.rules import get_timeout_ms
from consensus.bft.state import new_consensus_state
from consensus.ledger import verify_commit
from consensus.messages import SignedVote, VoteType
from consensus.validators import get_proposer
from tests.consensus.bft.cluster import (
    CHAIN_ID,
    Cluster,
    get_effects_of,
    get_proposer_key,
    make_chain,
    make_weighted_chain,
    propose,
    vote,
)


def test_engine_happy_path_decides_in_round_0() -> None:
    keys, chain = make_chain(4)
    cluster = Cluster.start(keys, chain)
    cluster.run()
    decisions = [cluster.finalized[k.address] for k in keys]
    assert all(len(d) == 1 for d in decisions)
    blocks = {d[0].finalized.block.hash for d in decisions}
    assert len(blocks) == 1
    first = decisions[0][0]
    assert first.round == 0
    assert first.state.height == 1
    assert first.finalized.block.header.proposer == get_proposer(chain.validators, 0)
    verify_commit(chain.validators, CHAIN_ID, first.finalized.commit)
    assert all(s.step == Step.COMMIT for s in cluster.nodes.values())


def test_engine_next_height_starts_after_commit_timeout_with_last_commit() -> None:
    keys, chain = make_chain(4)
    cluster = Cluster.start(keys, chain)
    for _ in range(2):
        cluster.run()
        cluster.fire_pending()
    cluster.run()
    for key in keys:
        finals = cluster.finalized[key.address]
        assert [f.state.height for f in finals] == [1, 2, 3]
        second = finals[1].finalized.block
        assert second.last_commit is not None
        assert second.last_commit.block_hash == finals[0].finalized.block.hash


def test_engine_timeouts_grow_with_round() -> None:
    keys, chain = make_chain(4)
    params = chain.params
    assert get_timeout_ms(params, Step.PROPOSE, 0) == params.timeout_propose_ms
    assert (
        get_timeout_ms(params, Step.PREVOTE, 3)
        == params.timeout_prevote_ms + 3 * params.timeout_prevote_delta_ms
    )
    assert (
        get_timeout_ms(params, Step.PRECOMMIT, 2)
        == params.timeout_precommit_ms + 2 * params.timeout_precommit_delta_ms
    )
    follower = next(k for k in keys if k.address != get_proposer(chain.validators, 0))
    _, effects = on_start(new_consensus_state(chain, follower.address), 0)
    assert effects == (ScheduleTimeout(Timeout(1, 0, Step.PROPOSE), params.timeout_propose_ms),)


def test_engine_proposer_asks_for_transactions_at_round_start() -> None:
    _, chain = make_chain(4)
    proposer = get_proposer(chain.validators, 0)
    _, effects = on_start(new_consensus_state(chain, proposer), 0)
    assert get_effects_of(effects, RequestProposalTxs) == [RequestProposalTxs(1, 0)]


def test_engine_proposer_timeout_leads_to_round_1_and_another_proposer() -> None:
    keys, chain = make_chain(4)
    silent = get_proposer(chain.validators, 0)
    cluster = Cluster.start(keys, chain)
    cluster.run(accept=lambda address, message: isinstance(message, SignedVote))
    assert not any(cluster.finalized.values())
    cluster.fire_pending()  # propose timeouts: everyone prevotes and then precommits nil
    cluster.run(accept=lambda address, message: _not_by(message, silent))
    assert all(s.step == Step.PRECOMMIT and s.round == 0 for s in cluster.nodes.values())
    cluster.fire_pending()  # the precommit timeout of round 0 starts round 1
    cluster.run(accept=lambda address, message: _not_by(message, silent))
    assert {s.round for s in cluster.nodes.values()} == {1}
    decided = [cluster.finalized[k.address] for k in keys]
    assert all(len(d) == 1 and d[0].round == 1 for d in decided)
    proposer_1 = decided[0][0].finalized.block.header.proposer
    assert proposer_1 == get_proposer(chain.validators, 1) != silent


def _not_by(message: object, author: bytes) -> bool:
    if isinstance(message, SignedVote):
        return message.vote.validator != author
    return True


def test_engine_propose_timeout_prevotes_nil() -> None:
    keys, chain = make_chain(4)
    follower = next(k for k in keys if k.address != get_proposer(chain.validators, 0))
    state, _ = on_start(new_consensus_state(chain, follower.address), 0)
    state, effects = on_timeout(state, Timeout(1, 0, Step.PROPOSE), 1_000)
    assert [e.vote.block_hash for e in get_effects_of(effects, SignVote)] == [None]
    assert state.step == Step.PREVOTE
    stale, effects = on_timeout(state, Timeout(1, 0, Step.PROPOSE), 1_000)
    assert stale is state and effects == ()


def test_engine_round_skip_on_f_plus_one_of_a_higher_round() -> None:
    keys, chain = make_chain(4)
    me, a, b = keys[0], keys[1], keys[2]
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = on_vote(state, vote(a, VoteType.PREVOTE, 1, 3, None), 0)
    assert state.round == 0 and effects == ()
    state, effects = on_vote(state, vote(b, VoteType.PRECOMMIT, 1, 3, None), 0)
    assert state.round == 3
    assert state.step == Step.PROPOSE
    timeouts = get_effects_of(effects, ScheduleTimeout)
    assert timeouts[0].timeout == Timeout(1, 3, Step.PROPOSE)


def test_engine_one_validator_of_a_higher_round_does_not_skip() -> None:
    keys, chain = make_chain(4)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    for vote_type in (VoteType.PREVOTE, VoteType.PRECOMMIT):
        state, _ = on_vote(state, vote(keys[1], vote_type, 1, 2, None), 0)
    assert state.round == 0


def test_engine_decides_on_precommits_for_a_block_of_an_earlier_round() -> None:
    keys, chain = make_chain(4)
    me = keys[0]
    proposal = propose(get_proposer_key(keys, chain, 0), chain, 0)
    block_hash = proposal.block.hash
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, _ = on_proposal(state, proposal, 0)
    for other in keys[1:]:  # we move on to round 2 first: f+1 votes of round 2
        state, _ = on_vote(state, vote(other, VoteType.PREVOTE, 1, 2, None), 0)
    assert state.round == 2
    effects: tuple[object, ...] = ()
    for other in keys[1:]:
        state, effects = on_vote(state, vote(other, VoteType.PRECOMMIT, 1, 0, block_hash), 0)
    finals = get_effects_of(effects, Finalized)  # type: ignore[arg-type]
    assert len(finals) == 1
    assert finals[0].round == 0 and finals[0].finalized.commit.round == 0


def test_engine_split_prevotes_schedule_the_prevote_timeout_then_precommit_nil() -> None:
    keys, chain = make_chain(4)
    me = keys[0]
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, _ = on_timeout(state, Timeout(1, 0, Step.PROPOSE), 0)
    split = (b"\x01" * 32, b"\x01" * 32, None)
    scheduled: list[ScheduleTimeout] = []
    for key, value in zip(keys[1:], split, strict=True):
        state, effects = on_vote(state, vote(key, VoteType.PREVOTE, 1, 0, value), 0)
        scheduled += get_effects_of(effects, ScheduleTimeout)
    delay = chain.params.timeout_prevote_ms
    assert scheduled == [ScheduleTimeout(Timeout(1, 0, Step.PREVOTE), delay)]  # line 34, once
    assert state.step == Step.PREVOTE
    state, effects = on_timeout(state, Timeout(1, 0, Step.PREVOTE), 0)
    assert [(e.vote.vote_type, e.vote.block_hash) for e in get_effects_of(effects, SignVote)] == [
        (VoteType.PRECOMMIT, None)
    ]
    assert state.step == Step.PRECOMMIT


def test_engine_any_precommit_quorum_schedules_the_precommit_timeout_once() -> None:
    keys, chain = make_chain(4)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    scheduled: list[ScheduleTimeout] = []
    for key, value in zip(keys, (b"\x01" * 32, None, b"\x02" * 32, None), strict=True):
        state, effects = on_vote(state, vote(key, VoteType.PRECOMMIT, 1, 0, value), 0)
        scheduled += get_effects_of(effects, ScheduleTimeout)
    delay = chain.params.timeout_precommit_ms
    assert scheduled == [ScheduleTimeout(Timeout(1, 0, Step.PRECOMMIT), delay)]  # line 47
    state, effects = on_timeout(state, Timeout(1, 0, Step.PRECOMMIT), 0)
    assert state.round == 1 and state.step == Step.PROPOSE  # line 65
    stale, none = on_timeout(state, Timeout(1, 0, Step.PRECOMMIT), 0)
    assert stale is state and none == ()


def test_engine_keeps_a_later_rounds_proposal_and_prevotes_it_on_arrival() -> None:
    keys, chain = make_chain(4)
    proposer_2 = get_proposer_key(keys, chain, 2)
    me = next(k for k in keys if k != proposer_2 and k.address != get_proposer(chain.validators, 0))
    later = propose(proposer_2, chain, 2)
    state, _ = on_start(new_consensus_state(chain, me.address), 0)
    state, effects = on_proposal(state, later, 0)
    assert effects == () and state.round == 0 and state.rs.proposals[2] == later
    voters = [k for k in keys if k != me][:2]
    for key in voters:
        state, effects = on_vote(state, vote(key, VoteType.PREVOTE, 1, 2, None), 0)
    assert state.round == 2
    signs = get_effects_of(effects, SignVote)
    assert [(s.vote.round, s.vote.block_hash) for s in signs] == [(2, later.block.hash)]


def test_engine_ignores_a_proposal_beyond_the_round_window() -> None:
    keys, chain = make_chain(4)
    far_round = MAX_ROUNDS_AHEAD + 1
    far = propose(get_proposer_key(keys, chain, far_round), chain, far_round)
    state, _ = on_start(new_consensus_state(chain, keys[0].address), 0)
    same, effects = on_proposal(state, far, 0)
    assert same is state and effects == ()


def test_engine_thresholds_are_weighted_by_voting_power() -> None:
    keys, chain = make_weighted_chain((5_000, 1_000, 1_000, 1_000))
    heavy, light = keys[0], keys[1:]
    assert chain.validators.get_power(heavy.address) > chain.validators.get_power(light[0].address)
    state, _ = on_start(new_consensus_state(chain, light[0].address), 0)
    skipped, _ = on_vote(state, vote(heavy, VoteType.PREVOTE, 1, 3, None), 0)
    assert skipped.round == 3  # one validator, but more than 1/3 of the power
    for key in light[1:]:
        state, _ = on_vote(state, vote(key, VoteType.PREVOTE, 1, 3, None), 0)
    assert state.round == 0  # two light validators are not f+1 of the power
    proposal = propose(get_proposer_key(keys, chain, 0), chain, 0)
    block_hash = proposal.block.hash
    follower, _ = on_start(new_consensus_state(chain, light[2].address), 0)
    follower, _ = on_proposal(follower, proposal, 0)
    for key in (heavy, light[0]):  # 6 of 8: a quorum with two votes
        follower, effects = on_vote(follower, vote(key, VoteType.PRECOMMIT, 1, 0, block_hash), 0)
    assert [f.finalized.block.hash for f in get_effects_of(effects, Finalized)] == [block_hash]
