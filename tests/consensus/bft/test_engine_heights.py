"""Across heights: next-height buffering, full nodes, block sync and aggregations."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.bft.engine import (
    on_aggregations_done,
    on_finalized_block,
    on_timeout,
)
from consensus.bft.events import (
    AggregationsDone,
    Finalized,
    ProposalMessage,
    SignProposal,
    SignVote,
    Step,
    TaskAggregation,
    Timeout,
)
from consensus.crypto import KeyPair
from consensus.errors import InvalidBlockError, InvalidCommitError
from consensus.genesis import GenesisTask
from consensus.ledger import compute_genesis_state
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.messages import SignedVote
from consensus.params import ChainParams
from consensus.primitives import Address
from consensus.state import ChainState
from consensus.transactions import (
    Bond,
    CreateTask,
    ModelDelta,
    RegisterCandidate,
    Transfer,
    VoteCandidates,
)
from tests.consensus.bft.cluster import CHAIN_ID, Cluster, get_effects_of, make_chain


def _proposers(keys: tuple[KeyPair, ...], chain: ChainState, heights: int) -> set[Address]:
    """The round-0 proposers of the first heights (a dry run decides them)."""
    cluster = Cluster.start(keys, chain)
    for _ in range(heights):
        cluster.run()
        cluster.fire_pending()
    first = cluster.finalized[keys[0].address]
    return {f.finalized.block.header.proposer for f in first[:heights]}


def _height_of(message: SignedVote | ProposalMessage) -> int:
    if isinstance(message, SignedVote):
        return message.vote.height
    return message.signed.proposal.height


def test_engine_buffers_the_next_height_and_replays_it() -> None:
    keys, chain = make_chain(4)
    busy = _proposers(keys, chain, 2)
    lag = next(k.address for k in keys if k.address not in busy)
    cluster = Cluster.start(keys, chain)
    cluster.held = {lag}
    cluster.run()
    cluster.fire_pending()
    cluster.run()  # the others decide heights 1 and 2 without us
    assert all(len(cluster.finalized[k.address]) == 2 for k in keys if k.address != lag)
    waiting = list(cluster.inbox[lag])
    cluster.inbox[lag].clear()
    for message in [m for m in waiting if _height_of(m) == 2]:
        cluster.deliver(lag, message)  # too early: kept for later
    assert len(cluster.nodes[lag].future) == 7  # a proposal, 3 prevotes, 3 precommits
    assert cluster.finalized[lag] == []
    for message in [m for m in waiting if _height_of(m) == 1]:
        cluster.deliver(lag, message)
    assert [f.state.height for f in cluster.finalized[lag]] == [1]
    cluster.held = set()
    cluster.fire(lag, Timeout(1, 0, Step.COMMIT))  # height 2 starts and replays the buffer
    assert [f.state.height for f in cluster.finalized[lag]] == [1, 2]
    theirs = cluster.finalized[keys[0].address if keys[0].address != lag else keys[1].address]
    assert cluster.finalized[lag][1].finalized.block == theirs[1].finalized.block


def test_engine_full_node_follows_and_finalizes() -> None:
    keys, chain = make_chain(4)
    (observer,) = make_keys(1, namespace=42)
    cluster = Cluster.start(keys, chain, observers=(observer.address,))
    for _ in range(3):
        cluster.run()
        cluster.fire_pending()
    ours = [f.finalized.block for f in cluster.finalized[observer.address]]
    theirs = [f.finalized.block for f in cluster.finalized[keys[0].address]]
    assert len(ours) == 3 and ours == theirs
    signing = [e for e in cluster.log[observer.address] if isinstance(e, SignVote | SignProposal)]
    assert signing == []


def _decided_without(lag: Address, keys: tuple[KeyPair, ...], chain: ChainState) -> Cluster:
    cluster = Cluster.start(keys, chain)
    cluster.held = {lag}
    cluster.run()
    return cluster


def test_engine_block_sync_applies_a_committed_block() -> None:
    keys, chain = make_chain(4)
    lag = keys[3].address
    cluster = _decided_without(lag, keys, chain)
    synced = cluster.finalized[keys[0].address][0].finalized
    state = cluster.nodes[lag]
    state, effects = on_finalized_block(state, synced, 0)
    (final,) = get_effects_of(effects, Finalized)
    assert final.finalized == synced and final.state.height == 1
    assert state.step == Step.COMMIT and state.chain.height == 1
    again, effects = on_finalized_block(state, synced, 0)
    assert again is state and effects == ()


def test_engine_block_sync_rejects_a_bad_commit() -> None:
    keys, chain = make_chain(4)
    lag = keys[3].address
    cluster = _decided_without(lag, keys, chain)
    synced = cluster.finalized[keys[0].address][0].finalized
    state = cluster.nodes[lag]
    short = dataclasses.replace(synced.commit, signatures=synced.commit.signatures[:2])
    with pytest.raises(InvalidCommitError):
        on_finalized_block(state, dataclasses.replace(synced, commit=short), 0)
    elsewhere = dataclasses.replace(synced.commit, block_hash=bytes(32))
    with pytest.raises(InvalidCommitError):
        on_finalized_block(state, dataclasses.replace(synced, commit=elsewhere), 0)
    extra = sign_transaction(keys[1], CHAIN_ID, 0, Transfer(keys[2].address, 1))
    swapped = dataclasses.replace(synced, block=dataclasses.replace(synced.block, txs=(extra,)))
    with pytest.raises(InvalidBlockError):
        on_finalized_block(state, swapped, 0)  # the commit is genuine, the body is not
    assert state.step != Step.COMMIT and state.chain.height == 0
    state, _ = on_finalized_block(state, synced, 0)
    assert state.chain.height == 1


def _task_chain() -> tuple[tuple[KeyPair, ...], ChainState]:
    keys = tuple(sorted(make_keys(4, namespace=7), key=lambda k: k.address))
    spec = CreateTask(
        model_id="mlp",
        initial_model_hash=b"\x05" * 32,
        aggregation={"rule": "fedavg"},
        min_deltas=1,
        max_staleness=3,
        clip_norm=1.0,
        reward_per_delta=10,
        reward_pool=1_000,
        max_payload_bytes=1 << 20,
    )
    return make_chain(4, tasks=(GenesisTask(keys[0].address, spec),))


@pytest.mark.parametrize("aggregations_first", [False, True])
def test_engine_next_height_waits_for_commit_timeout_and_aggregations(
    aggregations_first: bool,
) -> None:
    keys, chain = _task_chain()
    delta = ModelDelta(1, 0, b"\x06" * 32, 1_000, 10)
    cluster = Cluster.start(keys, chain, (sign_transaction(keys[1], CHAIN_ID, 0, delta),))
    cluster.run()
    me = keys[2].address
    (final,) = cluster.finalized[me]
    assert final.ready_tasks == (1,)
    tx_hash = cluster.mempool[0].hash
    done = AggregationsDone(1, (TaskAggregation(1, (tx_hash,), b"\x07" * 32),))
    state = cluster.nodes[me]
    steps = [
        lambda s: on_aggregations_done(s, done, 0),
        lambda s: on_timeout(s, Timeout(1, 0, Step.COMMIT), 0),
    ]
    if aggregations_first:
        steps.reverse()
    state, effects = steps[0](state)
    assert state.height == 1 and state.step == Step.COMMIT and effects == ()
    state, effects = steps[1](state)
    assert state.height == 2 and state.step == Step.PROPOSE
    task = state.chain.tasks[1]
    assert task.version == 1 and task.model_hash == b"\x07" * 32 and task.pending == ()
    again, none = on_aggregations_done(state, done, 0)
    assert again is state and none == ()


def test_engine_block_sync_catches_up_without_waiting_for_commit_timeouts() -> None:
    keys, chain = make_chain(4)
    lag = keys[3].address
    cluster = _decided_without(lag, keys, chain)
    for _ in range(2):
        cluster.fire_pending()
        cluster.run()
    synced = [f.finalized for f in cluster.finalized[keys[0].address]]
    assert [fb.block.height for fb in synced] == [1, 2, 3]
    state = cluster.nodes[lag]
    for fb in synced:
        state, effects = on_finalized_block(state, fb, 0)
        assert [f.finalized for f in get_effects_of(effects, Finalized)] == [fb]
    assert state.chain.height == 3 and state.step == Step.COMMIT
    assert state.last_commit == synced[2].commit
    skipped, effects = on_finalized_block(cluster.nodes[lag], synced[1], 0)
    assert skipped is cluster.nodes[lag] and effects == ()  # not the next height: ignored


def test_engine_follows_a_validator_set_change_at_an_epoch_boundary() -> None:
    keys = tuple(sorted(make_keys(4, namespace=7), key=lambda k: k.address))
    (newcomer,) = make_keys(1, namespace=8)
    params = ChainParams(max_validators=5, epoch_length=2)
    genesis = make_devnet_genesis(CHAIN_ID, keys, params, others=(newcomer,))
    chain = compute_genesis_state(genesis)
    joining = (
        sign_transaction(newcomer, CHAIN_ID, 0, RegisterCandidate("newcomer")),
        sign_transaction(newcomer, CHAIN_ID, 1, Bond(1_000_000)),
        sign_transaction(newcomer, CHAIN_ID, 2, VoteCandidates((newcomer.address,))),
    )
    cluster = Cluster.start(keys, chain, joining)  # the newcomer runs no node (1/5 silent)
    for _ in range(12):
        cluster.run()
        cluster.fire_pending()
    finals = [cluster.finalized[k.address] for k in keys]
    assert min(len(f) for f in finals) >= 4
    assert all(f[:4] == finals[0][:4] for f in finals)
    sets = [f.state.validators for f in finals[0][:4]]
    assert newcomer.address not in sets[0]
    assert newcomer.address in sets[1] and len(sets[1]) == 5  # elected at height 2
    assert sets[1].get_power(newcomer.address) == 1_000_000
    assert any(f.round > 0 for f in finals[0][2:])  # its turns to propose time out, then pass
