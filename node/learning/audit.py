"""Audit of one model version: model version -> final block -> deltas -> contributors, rewards.

Nothing the node recorded is taken on trust: every block's commit is verified against the
validator set of its height, every delta's signature is checked, its inclusion is re-derived
(the transaction at its indexed position, the header's ``txs_hash`` recomputed), every reward is
compared with what the ledger's rule pays (``min(reward_per_delta, pool)`` per accepted delta in
transaction-hash order), and the model snapshot's hash is recomputed when the blob is held.
Each mismatch is a failure in the report; ``verified`` means there is none.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import trio

from consensus.block import FinalizedBlock, compute_txs_hash
from consensus.errors import ConsensusError
from consensus.ledger import verify_commit
from consensus.state import Task, VersionEvaluation
from consensus.transactions import LOSS_SCALE, Evaluation, ModelDelta, SignedTransaction
from ml.aggregation.round import aggregate_round
from ml.errors import MlError
from ml.snapshot import compute_model_hash, decode_weights
from ml.types import Float32Array
from node.chain.aggregator import compute_rewards
from node.chain.task_model import compute_task_rule
from node.chain.view import NodeView
from node.errors import NodeError, StorageError
from node.storage.chain_store import Contribution, ModelRecord, TxLocation


class AuditError(NodeError):
    """Base class of audit errors (a failed check is a report entry, not an exception)."""


class UnknownVersionError(AuditError):
    """The task does not exist, or this node recorded no aggregation for that version."""


@dataclass(frozen=True)
class EvaluationSummary:
    """Federated evaluation figures: how many reports, their validation samples, and the
    sample-weighted accuracy and loss."""

    reports: int
    samples: int
    accuracy: float
    loss: float


def summarize_report(report: Evaluation) -> EvaluationSummary:
    """One delta's signed report on its base version."""
    loss = report.loss_micro / LOSS_SCALE
    return EvaluationSummary(1, report.samples, report.correct / report.samples, loss)


def summarize_version(evaluation: VersionEvaluation | None) -> EvaluationSummary | None:
    """The chain's evaluation of a version (None when it keeps none, or nobody reported)."""
    if evaluation is None or not evaluation.samples:
        return None
    e = evaluation
    return EvaluationSummary(e.reports, e.samples, e.accuracy, e.loss)


@dataclass(frozen=True)
class DeltaAudit:
    """One delta counted by the aggregation: where it is and what was checked."""

    tx_hash: bytes
    sender: bytes
    height: int
    """The block that included the delta (0 when the node cannot find it)."""
    signature_valid: bool
    inclusion_verified: bool
    commit_verified: bool
    accepted: bool
    reward: int
    expected_reward: int
    reason: str
    base_version: int = -1
    """The version the delta was trained from (-1 when the node cannot find it)."""
    evaluation: EvaluationSummary | None = None
    """The sender's signed validation result for the base version, if it reported one."""


@dataclass(frozen=True)
class AuditReport:
    """Everything checked for one model version; ``failures`` lists each broken link."""

    task_id: int
    version: int
    model_hash: bytes
    height: int
    block_hash: bytes
    commit_verified: bool
    snapshot_held: bool
    snapshot_verified: bool
    deltas: tuple[DeltaAudit, ...]
    failures: tuple[str, ...]
    verified: bool
    aggregation_replayed: bool = False
    """Whether the base snapshot and every payload were held, so the rule was re-run."""
    aggregation_verified: bool = False
    """Whether re-running the rule gave the recorded model hash and accepted deltas."""
    evaluation: EvaluationSummary | None = None
    """The network's accuracy of this version: the chain's sums of the deltas' reports on it
    (None when no delta reported on it yet, or the chain no longer keeps it)."""


@dataclass
class _Context:
    view: NodeView
    chain_id: str
    failures: list[str]
    blocks: dict[int, tuple[FinalizedBlock | None, bool]]


def audit_model_version(view: NodeView, task_id: int, version: int) -> AuditReport:
    """Audit ``version`` of task ``task_id``; raise UnknownVersionError if it does not exist."""
    state = view.get_chain_state()
    task = state.tasks.get(task_id)
    if task is None:
        raise UnknownVersionError(f"no task {task_id}")
    record = next((m for m in view.get_models(task_id) if m.version == version), None)
    if record is None:
        raise UnknownVersionError(f"task {task_id} has no aggregated model version {version}")
    ctx = _Context(view, state.chain_id, [], {})
    finalized, commit_ok = _check_block(ctx, record.height)
    deltas = _audit_deltas(ctx, task, record)
    held, snapshot_ok = _check_snapshot(ctx, record.model_hash)
    if version == task.version and record.model_hash != task.model_hash:
        ctx.failures.append("the recorded model hash differs from the chain state's")
    return AuditReport(
        task_id=task_id,
        version=version,
        model_hash=record.model_hash,
        height=record.height,
        block_hash=finalized.block.hash if finalized else b"",
        commit_verified=commit_ok,
        snapshot_held=held,
        snapshot_verified=snapshot_ok,
        deltas=deltas,
        failures=tuple(ctx.failures),
        verified=not ctx.failures,
        evaluation=summarize_version(task.get_evaluation(version)),
    )


def _check_block(ctx: _Context, height: int) -> tuple[FinalizedBlock | None, bool]:
    """The final block at ``height`` and whether its commit and ``txs_hash`` verify."""
    if height in ctx.blocks:
        return ctx.blocks[height]
    finalized, problem = _load_block(ctx.view, height)
    if finalized is not None and problem is None:
        problem = _block_problem(ctx, finalized, height)
    if problem is not None:
        ctx.failures.append(f"block {height}: {problem}")
    ctx.blocks[height] = (finalized, problem is None)
    return ctx.blocks[height]


def _load_block(view: NodeView, height: int) -> tuple[FinalizedBlock | None, str | None]:
    try:
        finalized = view.get_finalized(height)
    except StorageError as exc:
        return None, str(exc)
    return finalized, None if finalized is not None else "not held by this node"


def _block_problem(ctx: _Context, finalized: FinalizedBlock, height: int) -> str | None:
    block, commit = finalized.block, finalized.commit
    if block.height != height or commit.height != height:
        return f"block or commit is for height {block.height}/{commit.height}"
    if commit.block_hash != block.hash:
        return "the commit is for another block"
    if compute_txs_hash(block.txs) != block.header.txs_hash:
        return "txs_hash does not match the block's transactions"
    valset = ctx.view.get_validator_set(height)
    if valset is None:
        return "no validator set is recorded for this height"
    try:
        verify_commit(valset, ctx.chain_id, commit)
    except ConsensusError as exc:
        return f"commit does not verify: {exc}"
    return None


def _audit_deltas(ctx: _Context, task: Task, record: ModelRecord) -> tuple[DeltaAudit, ...]:
    rows = ctx.view.get_contributions(task.task_id, record.version)
    if not rows:
        ctx.failures.append(f"no contributions are recorded for version {record.version}")
    pool = compute_pool_before(ctx.view, task, record.version)
    expected = compute_rewards(
        dataclasses.replace(task, pool=pool), tuple(r.tx_hash for r in rows if r.accepted)
    )
    if record.version == task.version and pool - sum(expected.values()) != task.pool:
        ctx.failures.append(
            f"rewards do not add up: the pool would be {pool - sum(expected.values())}, "
            f"the chain holds {task.pool}"
        )
    return tuple(_audit_delta(ctx, task, record, row, expected.get(row.tx_hash, 0)) for row in rows)


def compute_pool_before(view: NodeView, task: Task, version: int) -> int:
    """The task's reward pool just before ``version`` was aggregated, by the ledger's rule
    applied to the accepted deltas of every earlier version."""
    pool = task.spec.reward_pool
    for earlier in range(1, version):
        accepted = tuple(
            r.tx_hash for r in view.get_contributions(task.task_id, earlier) if r.accepted
        )
        pool -= sum(compute_rewards(dataclasses.replace(task, pool=pool), accepted).values())
    return pool


def _audit_delta(
    ctx: _Context, task: Task, record: ModelRecord, row: Contribution, expected: int
) -> DeltaAudit:
    name = f"delta {row.tx_hash.hex()[:16]}"
    problems: list[str] = []
    found = _find_transaction(ctx.view, row.tx_hash)
    height, signature_ok, included, commit_ok = 0, False, False, False
    base_version, evaluation = -1, None
    if found is None:
        problems.append("is not in a final block")
    else:
        location, stx = found
        height, signature_ok = location.height, stx.is_signature_valid()
        finalized, commit_ok = _check_block(ctx, height)
        included = finalized is not None and _is_included(finalized, location.position, row)
        problems += [] if signature_ok else ["has an invalid signature"]
        problems += [] if included else ["is not at its indexed place in its block"]
        problems += _content_problems(
            ctx.chain_id, task.task_id, record, row, height=height, stx=stx
        )
        if isinstance(stx.tx.body, ModelDelta):
            base_version = stx.tx.body.base_version
            report = stx.tx.body.evaluation
            evaluation = None if report is None else summarize_report(report)
    if row.reward != expected:
        problems.append(f"was paid {row.reward}, the ledger's rule pays {expected}")
    ctx.failures += [f"{name} {p}" for p in problems]
    return DeltaAudit(
        row.tx_hash, row.sender, height, signature_ok, included, commit_ok,
        row.accepted, row.reward, expected, row.reason, base_version, evaluation,
    )  # fmt: skip


def _content_problems(
    chain_id: str,
    task_id: int,
    record: ModelRecord,
    row: Contribution,
    *,
    height: int,
    stx: SignedTransaction,
) -> list[str]:
    """What disagrees between the delta transaction and the recorded contribution."""
    problems = []
    body = stx.tx.body
    if not isinstance(body, ModelDelta) or body.task_id != task_id:
        problems.append(f"is not a model delta for task {task_id}")
    if stx.tx.sender != row.sender or stx.tx.chain_id != chain_id:
        problems.append("sender or chain id differs from the recorded contribution")
    if height > record.height or row.height != record.height:
        problems.append(f"was not aggregated at height {record.height}")
    return problems


def _find_transaction(
    view: NodeView, tx_hash: bytes
) -> tuple[TxLocation, SignedTransaction] | None:
    try:
        return view.find_transaction(tx_hash)
    except (StorageError, IndexError):  # a corrupt block, or an index past its block's end
        return None


def _is_included(finalized: FinalizedBlock, position: int, row: Contribution) -> bool:
    txs = finalized.block.txs
    in_place = 0 <= position < len(txs) and txs[position].hash == row.tx_hash
    return in_place and compute_txs_hash(txs) == finalized.block.header.txs_hash


def _check_snapshot(ctx: _Context, model_hash: bytes) -> tuple[bool, bool]:
    """(held, verified): the snapshot's SHA-256 recomputed and its weights decoded."""
    try:
        data = ctx.view.get_blob(model_hash)
    except StorageError as exc:
        ctx.failures.append(f"model snapshot: {exc}")
        return False, False
    if data is None:
        return False, False
    if hashlib.sha256(data).digest() != model_hash:
        ctx.failures.append("model snapshot's hash does not match the model hash")
        return True, False
    try:
        decode_weights(data)
    except MlError as exc:
        ctx.failures.append(f"model snapshot does not decode: {exc}")
        return True, False
    return True, True


@dataclass(frozen=True)
class ReplayInputs:
    """What re-running one aggregation needs: the task's rule, the base weights, the deltas."""

    task: Task
    base_weights: Float32Array
    entries: tuple[tuple[bytes, bytes, int], ...]
    """(tx hash, payload, samples) of every delta the aggregation considered."""
    staleness: Mapping[bytes, int] = field(default_factory=dict)
    """Versions between each delta's base and the aggregated version's base."""


async def fetch_audit(view: NodeView, task_id: int, version: int) -> AuditReport:
    """:func:`audit_model_version`, then the aggregation re-run (in a worker thread) when the
    node holds the base snapshot and every payload."""
    report = audit_model_version(view, task_id, version)
    inputs = load_replay_inputs(view, view.get_chain_state().tasks[task_id], version)
    if inputs is None:
        return report
    model_hash, accepted = await trio.to_thread.run_sync(replay_aggregation, inputs)
    problems = []
    if model_hash != report.model_hash:
        problems.append(f"re-running the aggregation gives model {model_hash.hex()[:16]}")
    if sorted(accepted) != sorted(d.tx_hash for d in report.deltas if d.accepted):
        problems.append("re-running the aggregation accepts other deltas than recorded")
    failures = (*report.failures, *problems)
    return dataclasses.replace(
        report,
        failures=failures,
        verified=not failures,
        aggregation_replayed=True,
        aggregation_verified=not problems,
    )


def load_replay_inputs(view: NodeView, task: Task, version: int) -> ReplayInputs | None:
    """The inputs of version ``version``'s aggregation, or None when any blob is not held."""
    base_hash = _get_base_hash(view, task, version)
    base = _get_blob(view, base_hash) if base_hash is not None else None
    if base is None:
        return None
    entries, staleness = [], {}
    for row in view.get_contributions(task.task_id, version):
        found = _find_transaction(view, row.tx_hash)
        body = found[1].tx.body if found is not None else None
        payload = _get_blob(view, body.payload_hash) if isinstance(body, ModelDelta) else None
        if payload is None or not isinstance(body, ModelDelta):
            return None
        entries.append((row.tx_hash, payload, body.num_samples))
        staleness[row.tx_hash] = version - 1 - body.base_version
    try:
        return ReplayInputs(task, decode_weights(base), tuple(entries), staleness)
    except MlError:
        return None


def _get_base_hash(view: NodeView, task: Task, version: int) -> bytes | None:
    if version == 1:
        return task.spec.initial_model_hash
    previous = [m for m in view.get_models(task.task_id) if m.version == version - 1]
    return previous[0].model_hash if previous else None


def _get_blob(view: NodeView, blob_hash: bytes) -> bytes | None:
    try:
        return view.get_blob(blob_hash)
    except StorageError:
        return None


def replay_aggregation(inputs: ReplayInputs) -> tuple[bytes, tuple[bytes, ...]]:
    """(model hash, accepted tx hashes) of the task's rule over the inputs, as the node's
    :class:`~node.chain.aggregator.Aggregator` computes them: no counting delta keeps the
    weights."""
    spec = inputs.task.spec
    try:
        rule = compute_task_rule(spec)
        entries = sorted(inputs.entries)
        result = aggregate_round(rule, inputs.base_weights, entries, inputs.staleness)
    except MlError:  # too few valid deltas, or an unusable rule: the weights are kept
        return compute_model_hash(inputs.base_weights), ()
    return result.model_hash, result.accepted
