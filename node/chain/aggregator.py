"""Learning on finality: every node turns a final block's ready deltas into the next model.

For each ready task the aggregator loads the current global weights and every pending payload
(fetching what it lacks from peers by hash), applies the task's rule (``ml.aggregation``, pure
and bit-identical on every node), stores the new snapshot, records who contributed and was paid,
and reports the results to the driver, whose next block header commits to them. A task whose
deltas cannot count (too few valid ones, or a rule the learning layer refuses) keeps its
weights: every honest node reaches that same verdict.

Aggregation starts before finality: once a proposed block that makes tasks ready is valid
(the driver calls :meth:`Aggregator.prepare` while the validators vote on it), its outcomes are
computed from the state after that block, which is the state ``Finalized`` carries if that very
block is decided. The final block then uses them at once; any other block is aggregated when
final, as before. Each version computed this way is also offered to the trainer
(:attr:`Aggregator.proposed`), which may train on it while the vote runs and publishes the delta
only once the version is final with the same hash (``node.learning.trainer``). A final block's
versions are announced (:attr:`Aggregator.decided`) as soon as they are known, before they are
recorded and applied: a final block fixes them, so such a delta can go out at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import trio

from consensus.bft.events import AggregationsDone, Finalized, TaskAggregation
from consensus.state import ChainState, Task
from ml.aggregation.round import AggregationResult, aggregate_round
from ml.errors import InsufficientDeltasError, MlError
from ml.snapshot import decode_weights, encode_weights
from ml.types import Float32Array
from node.chain.task_model import compute_task_rule
from node.errors import NodeError
from node.storage.blobs import BlobStore
from node.storage.chain_store import ChainStore, Contribution, ModelRecord

logger = logging.getLogger(__name__)

RETRY_INITIAL_S = 0.2
RETRY_MAX_S = 5.0
CACHED_MODELS = 4
"""Model weights kept in memory (the newest ones; older versions are read from blobs)."""
PREPARED_BLOCKS = 8
"""Proposed blocks whose aggregations are kept until one of them is final."""


class BlobFetcher(Protocol):
    """``fetch(blob_hash, max_size, senders) -> held``: make a blob available locally, from
    peers if needed (first from the nodes of ``senders``, the accounts that announced it)."""

    async def __call__(
        self, blob_hash: bytes, max_size: int, senders: Sequence[bytes] = ()
    ) -> bool: ...


class MissingBlobError(NodeError):
    """A payload or model snapshot needed for aggregation is held by no reachable peer."""


@dataclass(frozen=True)
class TaskOutcome:
    """One task's aggregation: the chain's part and what the node records."""

    result: TaskAggregation
    weights: Float32Array
    contributions: list[Contribution]


@dataclass(frozen=True)
class ProposedVersion:
    """The version a valid proposed block would derive for a task, computed before finality:
    it becomes the task's version only if that block is decided (same ``model_hash``)."""

    task_id: int
    version: int
    model_hash: bytes
    weights: Float32Array


@dataclass
class PreparedBlock:
    """The aggregations of one proposed block, computed (or being computed) before finality."""

    done: trio.Event = field(default_factory=trio.Event)
    outcomes: dict[int, TaskOutcome] = field(default_factory=dict)


class Aggregator:
    """Runs aggregations for ``Finalized`` effects; results go to ``inbox`` (the driver)."""

    def __init__(
        self,
        blobs: BlobStore,
        store: ChainStore,
        fetch: BlobFetcher,
        inbox: trio.MemorySendChannel[AggregationsDone],
    ) -> None:
        self._blobs = blobs
        self._store = store
        self._fetch = fetch
        self._inbox = inbox
        self._weights: dict[bytes, Float32Array] = {}
        self._prepared: dict[bytes, PreparedBlock] = {}
        self.aggregations = 0
        self.prepared_used = 0
        """Final blocks whose aggregations were ready before they were final."""
        self.proposed: dict[int, ProposedVersion] = {}
        """By task: the newest version a valid proposed block would derive."""
        self.proposed_changed = trio.Event()
        """Set (and replaced) whenever ``proposed`` gains a version."""
        self.decided: dict[int, tuple[int, bytes]] = {}
        """By task: (version, model hash) of the newest version a final block fixed; it may
        not be applied to the node's state yet."""
        self.decided_changed = trio.Event()
        """Set (and replaced) whenever ``decided`` gains a version."""

    async def prepare(self, block_hash: bytes, state: ChainState, ready: tuple[int, ...]) -> None:
        """Aggregate the tasks a valid proposed block makes ready (``state`` is the state after
        it) before it is final; a payload we cannot fetch leaves that task to finality."""
        if block_hash in self._prepared:
            return
        prepared = self._prepared[block_hash] = PreparedBlock()
        while len(self._prepared) > PREPARED_BLOCKS:
            del self._prepared[next(iter(self._prepared))]
        try:
            for task_id in ready:
                task = state.tasks[task_id]
                try:
                    outcome, snapshot = await self._compute_outcome(state, task)
                except MissingBlobError:
                    continue
                self._offer(task, outcome)  # training starts before the snapshot's fsync
                await self._store_snapshot(snapshot)
                prepared.outcomes[task_id] = outcome
        finally:
            prepared.done.set()

    def _offer(self, task: Task, outcome: TaskOutcome) -> None:
        """Make a prepared outcome the task's proposed version (one per task: the newest)."""
        version = task.version + 1
        current = self.proposed.get(task.task_id)
        if current is not None and current.version > version:
            return
        model_hash = outcome.result.model_hash
        self.proposed[task.task_id] = ProposedVersion(
            task.task_id, version, model_hash, outcome.weights
        )
        self.proposed_changed.set()
        self.proposed_changed = trio.Event()

    async def _take_prepared(self, block_hash: bytes) -> dict[int, TaskOutcome]:
        """The outcomes prepared for this block (waiting for them if under way); {} if none."""
        prepared = self._prepared.pop(block_hash, None)
        self._prepared.clear()  # proposals of this height that lost, or of older heights
        if prepared is None:
            return {}
        await prepared.done.wait()
        return prepared.outcomes

    async def on_finalized(self, effect: Finalized) -> None:
        """Driver listener: aggregate the ready tasks of a final block, report the results."""
        if not effect.ready_tasks:
            return
        prepared = await self._take_prepared(effect.finalized.block.hash)
        self.prepared_used += bool(prepared)
        outcomes = []
        for task_id in effect.ready_tasks:
            task = effect.state.tasks[task_id]
            outcome = prepared.get(task_id)
            if outcome is None:
                outcome = await self.aggregate_with_retry(effect.state, task)
            outcomes.append(outcome)
        self._announce(effect.state, outcomes)
        height = effect.finalized.block.height
        for outcome in outcomes:
            self.record(outcome, effect.state.tasks[outcome.result.task_id], height)
        await self._inbox.send(AggregationsDone(height, tuple(o.result for o in outcomes)))
        self.aggregations += len(outcomes)

    def _announce(self, state: ChainState, outcomes: Sequence[TaskOutcome]) -> None:
        for outcome in outcomes:
            task_id = outcome.result.task_id
            version = state.tasks[task_id].version + 1
            self.decided[task_id] = (version, outcome.result.model_hash)
        self.decided_changed.set()
        self.decided_changed = trio.Event()

    async def aggregate_with_retry(self, state: ChainState, task: Task) -> TaskOutcome:
        """Aggregate, waiting for missing blobs to become fetchable (no model without them)."""
        delay = RETRY_INITIAL_S
        while True:
            try:
                return await self.aggregate_task(state, task)
            except MissingBlobError as exc:
                logger.warning("task=%d aggregation waits for data: %s", task.task_id, exc)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def aggregate_task(self, state: ChainState, task: Task) -> TaskOutcome:
        """The task's next version, its snapshot stored durably."""
        outcome, snapshot = await self._compute_outcome(state, task)
        await self._store_snapshot(snapshot)
        return outcome

    async def _store_snapshot(self, snapshot: bytes | None) -> None:
        """Write a new version's snapshot durably, in a thread: its fsync took 10 ms (median)
        to 30 ms (mean) on the 4-validator testnet, four nodes flushing one disk."""
        if snapshot is not None:
            await trio.to_thread.run_sync(self._blobs.put, snapshot)

    async def _compute_outcome(
        self, state: ChainState, task: Task
    ) -> tuple[TaskOutcome, bytes | None]:
        """The task's next version and its snapshot's bytes (None when the weights are kept),
        not yet stored."""
        weights = await self.load_weights(task.model_hash)
        entries = []
        for delta in task.pending:
            if not await self._fetch(delta.payload_hash, delta.payload_size, (delta.sender,)):
                raise MissingBlobError(f"payload {delta.payload_hash.hex()[:16]} is unavailable")
            payload = self._blobs.get(delta.payload_hash)
            entries.append((delta.tx_hash, payload or b"", delta.num_samples))
        result = await trio.to_thread.run_sync(compute_aggregation, task, weights, entries)
        if result is None:
            logger.info("task=%d: no delta counts this round, weights kept", task.task_id)
            return self._outcome(task, weights, task.model_hash, (), {}), None
        reasons = {r.tx_hash: f"{r.code}: {r.reason}" for r in result.rejected}
        outcome = self._outcome(
            task, result.new_weights, result.model_hash, result.accepted, reasons
        )
        return outcome, encode_weights(result.new_weights)

    def _outcome(
        self,
        task: Task,
        weights: Float32Array,
        model_hash: bytes,
        accepted: tuple[bytes, ...],
        reasons: dict[bytes, str],
    ) -> TaskOutcome:
        self._remember(model_hash, weights)
        rewards = compute_rewards(task, accepted)
        contributions = [
            Contribution(
                d.tx_hash,
                d.sender,
                0,
                d.tx_hash in rewards,
                rewards.get(d.tx_hash, 0),
                "" if d.tx_hash in rewards else reasons.get(d.tx_hash, "not counted"),
            )
            for d in task.pending
        ]
        return TaskOutcome(
            TaskAggregation(task.task_id, accepted, model_hash), weights, contributions
        )

    def record(self, outcome: TaskOutcome, task: Task, height: int) -> None:
        """Store the new model version's record and its contributions (rewards, reasons)."""
        version = task.version + 1
        rows = [
            Contribution(c.tx_hash, c.sender, height, c.accepted, c.reward, c.reason)
            for c in outcome.contributions
        ]
        record = ModelRecord(task.task_id, version, outcome.result.model_hash, height, None)
        self._store.save_version(record, rows)

    async def load_weights(self, model_hash: bytes) -> Float32Array:
        """The weights with this hash: cached, from the blob store, or fetched from peers."""
        cached = self._weights.get(model_hash)
        if cached is not None:
            return cached
        if not await self._fetch(model_hash, 256 << 20):
            raise MissingBlobError(f"model snapshot {model_hash.hex()[:16]} is unavailable")
        data = self._blobs.get(model_hash)
        try:
            weights = decode_weights(data or b"")
        except MlError as exc:
            raise MissingBlobError(f"model snapshot {model_hash.hex()[:16]}: {exc}") from exc
        self._remember(model_hash, weights)
        return weights

    @property
    def cached_models(self) -> int:
        """How many models the cache holds now (bounded by ``CACHED_MODELS``)."""
        return len(self._weights)

    def _remember(self, model_hash: bytes, weights: Float32Array) -> None:
        """Cache the newest few models (one per task's latest version, with room to spare):
        every version used to stay in memory, a leak of one model per version."""
        self._weights.pop(model_hash, None)
        self._weights[model_hash] = weights
        while len(self._weights) > CACHED_MODELS:
            del self._weights[next(iter(self._weights))]


def compute_aggregation(
    task: Task, weights: Float32Array, entries: list[tuple[bytes, bytes, int]]
) -> AggregationResult | None:
    """The task's next model from ``entries`` (tx hash, payload, samples), or None when no
    delta counts (the weights are kept). Pure and deterministic: every node, and the
    simulator, computes the same result."""
    spec = task.spec
    try:
        rule = compute_task_rule(spec)
        return aggregate_round(rule, weights, sorted(entries), get_staleness(task))
    except InsufficientDeltasError:
        return None
    except MlError as exc:  # an unusable rule or model: deterministic on every node
        logger.warning("task=%d cannot aggregate: %s", task.task_id, exc)
        return None


def get_staleness(task: Task) -> dict[bytes, int]:
    """How many versions behind the task's current model each pending delta was trained
    (within ``max_staleness``: the ledger admits nothing older)."""
    return {d.tx_hash: task.version - d.base_version for d in task.pending}


def compute_rewards(task: Task, accepted: tuple[bytes, ...]) -> dict[bytes, int]:
    """What the ledger pays each accepted delta (``process_aggregations``' rule)."""
    pool, rewards = task.pool, {}
    for tx_hash in sorted(accepted):
        reward = min(task.spec.reward_per_delta, pool)
        rewards[tx_hash] = reward
        pool -= reward
    return rewards
