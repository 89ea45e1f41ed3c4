"""Training tasks: creation and escrow, model deltas, readiness, paying accepted deltas."""

from __future__ import annotations

import dataclasses
import math

import pytest

from consensus.bft.events import TaskAggregation
from consensus.errors import InvalidTransactionError
from consensus.ledger import (
    InvalidAggregationError,
    compute_supply,
    process_aggregations,
    process_transaction,
)
from consensus.transactions import CreateTask, ModelDelta
from tests.consensus.ledger.chain import (
    BALANCE,
    SPEC,
    USERS,
    Chain,
    make_state,
    make_tx,
    reject,
    vector,
)

CREATOR = USERS[0]
WORKERS = USERS[1:]


def delta(task_id=1, base=0, size=10, samples=32, payload=b"\x22" * 32) -> ModelDelta:
    return ModelDelta(task_id, base, payload, size, samples)


def with_task(spec: CreateTask = SPEC):
    state = make_state()
    return process_transaction(state, make_tx(CREATOR, state, spec))


@vector
def test_tasks_create_task_escrows_the_pool():
    state = make_state()
    stx = make_tx(CREATOR, state, SPEC, fee=2)
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    task = post.tasks[1]
    assert (task.task_id, task.creator, task.pool, task.version) == (1, CREATOR.address, 250, 0)
    assert task.model_hash == SPEC.initial_model_hash
    assert post.get_account(CREATOR.address).balance == BALANCE - 252
    assert post.next_task_id == 2
    assert compute_supply(post) == compute_supply(state)
    yield "post", post


def test_tasks_ids_are_sequential():
    state = with_task()
    state = process_transaction(state, make_tx(CREATOR, state, SPEC))
    assert sorted(state.tasks) == [1, 2]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"min_deltas": 0}, "min_deltas"),
        ({"clip_norm": 0.0}, "clip_norm"),
        ({"clip_norm": -1.0}, "clip_norm"),
        ({"clip_norm": math.inf}, "clip_norm"),
        ({"clip_norm": math.nan}, "clip_norm"),
        ({"max_payload_bytes": 0}, "max_payload_bytes"),
        ({"model_id": " "}, "model id"),
        ({"reward_pool": BALANCE}, "balance"),
    ],
)
@vector
def test_tasks_bad_spec_is_rejected(changes, match):
    state = make_state()
    spec = dataclasses.replace(SPEC, **changes)
    yield from reject(state, make_tx(CREATOR, state, spec), InvalidTransactionError, match)


@vector
def test_tasks_model_delta_is_appended_to_pending():
    state = with_task()
    stx = make_tx(WORKERS[0], state, delta())
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    (pending,) = post.tasks[1].pending
    assert (pending.tx_hash, pending.sender, pending.num_samples) == (
        stx.hash,
        WORKERS[0].address,
        32,
    )
    yield "post", post


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (delta(task_id=9), "no task"),
        (delta(base=1), "base version"),
        (delta(size=0), "payload size"),
        (delta(size=1_001), "payload size"),
        (delta(samples=0), "sample"),
    ],
)
@vector
def test_tasks_bad_model_delta_is_rejected(body, match):
    state = with_task()
    yield from reject(state, make_tx(WORKERS[0], state, body), InvalidTransactionError, match)


def test_tasks_stale_delta_is_rejected():
    state = with_task()
    task = dataclasses.replace(state.tasks[1], version=2)
    state = dataclasses.replace(state, tasks={1: task})
    process_transaction(state, make_tx(WORKERS[0], state, delta(base=1)))
    with pytest.raises(InvalidTransactionError, match="stale"):
        process_transaction(state, make_tx(WORKERS[0], state, delta(base=0)))


def ready_chain():
    """A chain whose last block made task 1 ready with three deltas."""
    chain = Chain(make_state())
    chain = chain.next([make_tx(CREATOR, chain.state, SPEC)])
    assert chain.ready_tasks == ()
    txs = [make_tx(w, chain.state, delta()) for w in WORKERS]
    return chain.next(txs), txs


def test_tasks_process_block_reports_ready_tasks():
    chain, _ = ready_chain()
    assert chain.ready_tasks == (1,)
    assert len(chain.state.tasks[1].pending) == 3


@vector
def test_tasks_aggregation_pays_accepted_in_hash_order_until_the_pool_runs_out():
    chain, txs = ready_chain()
    state = chain.state
    accepted = tuple(stx.hash for stx in txs)  # all three; the pool of 250 pays 100, 100, 50
    result = TaskAggregation(1, accepted[::-1], b"\x33" * 32)
    yield "pre", state
    yield "aggregations", (result,)
    post = process_aggregations(state, (result,))
    order = sorted(txs, key=lambda stx: stx.hash)
    paid = [
        post.get_account(s.tx.sender).balance - state.get_account(s.tx.sender).balance
        for s in order
    ]
    assert paid == [100, 100, 50]
    task = post.tasks[1]
    assert (task.version, task.model_hash, task.pool, task.pending) == (1, b"\x33" * 32, 0, ())
    assert compute_supply(post) == compute_supply(state)
    yield "post", post


def test_tasks_rejected_deltas_earn_nothing():
    chain, txs = ready_chain()
    state = chain.state
    result = TaskAggregation(1, (txs[0].hash,), b"\x33" * 32)
    post = process_aggregations(state, (result,))
    gains = [
        post.get_account(s.tx.sender).balance - state.get_account(s.tx.sender).balance for s in txs
    ]
    assert gains == [100, 0, 0]
    assert post.tasks[1].pool == 150


def test_tasks_next_block_commits_to_the_aggregated_state():
    chain, txs = ready_chain()
    result = TaskAggregation(1, (txs[0].hash,), b"\x33" * 32)
    aggregated = dataclasses.replace(chain, state=process_aggregations(chain.state, (result,)))
    block = aggregated.propose()
    assert block.header.app_hash == aggregated.state.app_hash != chain.state.app_hash
    assert aggregated.apply(block).state.tasks[1].version == 1


@pytest.mark.parametrize(
    ("results", "match"),
    [
        ((TaskAggregation(9, (), b"\x00" * 32),), "not ready"),
        ((TaskAggregation(1, (b"\x01" * 32,), b"\x00" * 32),), "not pending"),
        (
            (TaskAggregation(1, (), b"\x00" * 32), TaskAggregation(1, (), b"\x00" * 32)),
            "twice",
        ),
    ],
)
def test_tasks_bad_aggregation_results_are_rejected(results, match):
    chain, _ = ready_chain()
    with pytest.raises(InvalidAggregationError, match=match):
        process_aggregations(chain.state, results)


def test_tasks_duplicate_accepted_hash_is_rejected():
    chain, txs = ready_chain()
    result = TaskAggregation(1, (txs[0].hash, txs[0].hash), b"\x00" * 32)
    with pytest.raises(InvalidAggregationError, match="not pending"):
        process_aggregations(chain.state, (result,))


def test_tasks_aggregating_a_task_that_is_not_ready_is_rejected():
    state = with_task()
    state = process_transaction(state, make_tx(WORKERS[0], state, delta()))
    with pytest.raises(InvalidAggregationError, match="not ready"):
        process_aggregations(state, (TaskAggregation(1, (), b"\x00" * 32),))
