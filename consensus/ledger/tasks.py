"""Training tasks: creation with an escrowed pool, model deltas, paying accepted deltas.

The chain checks what it can see (task, version window, sizes, samples); the learning layer
decides which deltas are accepted and reports it through ``process_aggregations``.
"""

from __future__ import annotations

import dataclasses
import math

from consensus.bft.events import TaskAggregation
from consensus.errors import InvalidTransactionError
from consensus.ledger.accounts import Updates, credit, get_updated
from consensus.ledger.errors import InvalidAggregationError
from consensus.ledger.evaluation import record_evaluation, validate_evaluation
from consensus.ledger.task_app import validate_task_app
from consensus.primitives import Address, TaskId
from consensus.state import Account, ChainState, PendingDelta, Task
from consensus.transactions import CreateTask, ModelDelta, SignedTransaction


def validate_task_spec(spec: CreateTask) -> None:
    """Raise :class:`InvalidTransactionError` unless the task's basic parameters make sense."""
    if not spec.model_id.strip():
        raise InvalidTransactionError("a task needs a model id")
    if spec.min_deltas < 1:
        raise InvalidTransactionError("min_deltas must be at least 1")
    if not math.isfinite(spec.clip_norm) or spec.clip_norm <= 0:
        raise InvalidTransactionError("clip_norm must be finite and positive")
    if spec.max_payload_bytes <= 0:
        raise InvalidTransactionError("max_payload_bytes must be positive")
    if min(spec.reward_pool, spec.reward_per_delta, spec.max_staleness) < 0:
        raise InvalidTransactionError("reward_pool, reward_per_delta and max_staleness are >= 0")
    if spec.app is not None:
        validate_task_app(spec.app)


def create_task(state: ChainState, creator: Address, spec: CreateTask) -> ChainState:
    """Add a task with the next id; its pool (already taken from the creator) is escrowed."""
    validate_task_spec(spec)
    task = Task(
        task_id=state.next_task_id,
        creator=creator,
        spec=spec,
        model_hash=spec.initial_model_hash,
        pool=spec.reward_pool,
    )
    return dataclasses.replace(
        state, tasks={**state.tasks, task.task_id: task}, next_task_id=state.next_task_id + 1
    )


def apply_create_task(
    state: ChainState, sender: Address, payer: Account, body: CreateTask
) -> tuple[ChainState, Updates]:
    new_state = create_task(state, sender, body)
    escrowed = dataclasses.replace(payer, balance=payer.balance - body.reward_pool)
    return new_state, {sender: escrowed}


def validate_delta(task: Task, body: ModelDelta) -> None:
    spec = task.spec
    if not 0 <= body.base_version <= task.version:
        raise InvalidTransactionError(f"base version {body.base_version} > {task.version}")
    if task.version - body.base_version > spec.max_staleness:
        raise InvalidTransactionError(f"base version {body.base_version} is too stale")
    if not 0 < body.payload_size <= spec.max_payload_bytes:
        raise InvalidTransactionError(f"payload size {body.payload_size} out of range")
    if body.num_samples <= 0:
        raise InvalidTransactionError("a delta must be trained on at least one sample")
    if body.evaluation is not None:
        validate_evaluation(body.evaluation)


def apply_model_delta(
    state: ChainState, stx: SignedTransaction, payer: Account, body: ModelDelta
) -> tuple[ChainState, Updates]:
    """Append the delta to the task's pending list for its next aggregation."""
    task = state.tasks.get(body.task_id)
    if task is None:
        raise InvalidTransactionError(f"no task {body.task_id}")
    validate_delta(task, body)
    pending = PendingDelta(
        tx_hash=stx.hash,
        sender=stx.tx.sender,
        base_version=body.base_version,
        payload_hash=body.payload_hash,
        payload_size=body.payload_size,
        num_samples=body.num_samples,
    )
    updated = dataclasses.replace(task, pending=(*task.pending, pending))
    if body.evaluation is not None:
        updated = record_evaluation(updated, body.base_version, body.evaluation)
    new_state = dataclasses.replace(state, tasks={**state.tasks, task.task_id: updated})
    return new_state, {stx.tx.sender: payer}


def get_ready_tasks(state: ChainState) -> tuple[TaskId, ...]:
    """Ids of tasks with enough pending deltas for an aggregation, ascending."""
    return tuple(sorted(tid for tid, task in state.tasks.items() if task.is_ready()))


def process_aggregations(state: ChainState, results: tuple[TaskAggregation, ...]) -> ChainState:
    """Pay accepted deltas from each task's pool, bump its version and record the model hash.

    Deltas are paid ``min(reward_per_delta, remaining pool)`` each in canonical order (sorted
    by transaction hash); rejected deltas get nothing. Every pending delta is cleared.
    """
    if len({r.task_id for r in results}) != len(results):
        raise InvalidAggregationError("a task appears twice in the results")
    tasks = dict(state.tasks)
    updates: Updates = {}
    for result in results:
        tasks[result.task_id] = _settle_task(state, updates, result)
    return dataclasses.replace(state, accounts={**state.accounts, **updates}, tasks=tasks)


def _settle_task(state: ChainState, updates: Updates, result: TaskAggregation) -> Task:
    task = state.tasks.get(result.task_id)
    if task is None or not task.is_ready():
        raise InvalidAggregationError(f"task {result.task_id} is not ready for aggregation")
    senders = {d.tx_hash: d.sender for d in task.pending}
    accepted = sorted(result.accepted_tx_hashes)
    if len(set(accepted)) != len(accepted) or any(h not in senders for h in accepted):
        raise InvalidAggregationError(f"task {task.task_id}: accepted deltas are not pending")
    pool = task.pool
    for tx_hash in accepted:
        reward = min(task.spec.reward_per_delta, pool)
        if reward:
            sender = senders[tx_hash]
            updates[sender] = credit(get_updated(state, updates, sender), reward)
            pool -= reward
    return dataclasses.replace(
        task, version=task.version + 1, model_hash=result.model_hash, pool=pool, pending=()
    )
