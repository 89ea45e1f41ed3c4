"""The shared learning layer of a run: payloads, model snapshots, aggregations, accuracy.

Payloads live in one in-memory blob map (what every node could fetch by hash); a withholder's
payloads are in it for the withholder alone. Aggregation is the real node's: the task's rule
from ``spec_from_task`` applied by ``ml.aggregation.round.aggregate_round`` to the pending
deltas in transaction-hash order, a task whose deltas cannot count keeping its weights. Each
distinct (task, model, pending deltas) is aggregated once and shared by every node, as the
pure function gives every honest node the same bytes anyway.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from consensus.bft.events import TaskAggregation
from consensus.state import Task
from ml.codec.delta import decode_delta
from ml.data.datasets import TrainTest, load_digits_split
from ml.snapshot import compute_model_hash
from ml.types import Float32Array
from node.chain.aggregator import compute_aggregation, compute_rewards
from node.scenario.simulate.errors import SimulateError


@functools.cache
def get_digits() -> TrainTest:
    """The digits split, loaded once per process (read-only arrays shared by every run)."""
    return load_digits_split()


@dataclass(frozen=True, eq=False)
class Outcome:
    """One aggregation: the chain's verdict and who earned what."""

    result: TaskAggregation
    rewards: dict[bytes, int]
    """Reward by sender address for the accepted deltas."""
    accepted_deltas: tuple[Float32Array, ...]
    accepted_by_sender: dict[bytes, int]
    """How many of each sender's deltas were accepted (a sender may have several pending)."""


class Learning:
    """Blobs, weights by model hash, aggregation and evaluation caches of one run."""

    def __init__(self, model_id: str, initial: Float32Array) -> None:
        self.model_id = model_id
        self.weights: dict[bytes, Float32Array] = {compute_model_hash(initial): initial}
        self._payloads: dict[bytes, bytes] = {}
        self._owner: dict[bytes, int] = {}
        self._withheld: set[bytes] = set()
        self._outcomes: dict[tuple[int, bytes, tuple[bytes, ...]], Outcome] = {}
        self._accuracy: dict[bytes, float] = {}
        self.accepted_by_model: dict[bytes, tuple[Float32Array, ...]] = {}
        """The accepted deltas that produced each model (what ALIE attackers estimate from)."""

    def put_payload(self, payload: bytes, owner: int, withheld: bool) -> bytes:
        digest = hashlib.sha256(payload).digest()
        self._payloads[digest] = payload
        self._owner[digest] = owner
        if withheld:
            self._withheld.add(digest)
        return digest

    def is_available(self, payload_hash: bytes, node: int) -> bool:
        """Whether ``node`` holds or can fetch the payload (never a withheld one of a peer)."""
        if payload_hash not in self._payloads:
            return False
        return payload_hash not in self._withheld or self._owner[payload_hash] == node

    def aggregate(self, task: Task) -> Outcome:
        """The task's next model from its pending deltas (cached)."""
        key = (task.task_id, task.model_hash, tuple(d.tx_hash for d in task.pending))
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._compute(task)
        return found

    def _compute(self, task: Task) -> Outcome:
        weights = self.weights.get(task.model_hash)
        if weights is None:
            raise SimulateError(f"model {task.model_hash.hex()[:16]} was never computed")
        entries = []
        for delta in task.pending:
            payload = self._payloads.get(delta.payload_hash)
            if payload is None:
                raise SimulateError(f"payload {delta.payload_hash.hex()[:16]} is final but unknown")
            entries.append((delta.tx_hash, payload, delta.num_samples))
        result = compute_aggregation(task, weights, entries)
        if result is None:
            return Outcome(TaskAggregation(task.task_id, (), task.model_hash), {}, (), {})
        self.weights[result.model_hash] = result.new_weights
        rewards = compute_rewards(task, result.accepted)
        senders = {d.tx_hash: d.sender for d in task.pending}
        by_sender: dict[bytes, int] = {}
        counts: dict[bytes, int] = {}
        for tx_hash in result.accepted:
            sender = senders[tx_hash]
            by_sender[sender] = by_sender.get(sender, 0) + rewards[tx_hash]
            counts[sender] = counts.get(sender, 0) + 1
        payloads = {tx: p for tx, p, _ in entries}
        accepted = tuple(decode_delta(payloads[tx]).values for tx in result.accepted)
        self.accepted_by_model.setdefault(result.model_hash, accepted)
        aggregation = TaskAggregation(task.task_id, result.accepted, result.model_hash)
        return Outcome(aggregation, by_sender, accepted, counts)

    def get_accuracy(self, model_hash: bytes) -> float:
        """Test accuracy of a model, measured once."""
        found = self._accuracy.get(model_hash)
        if found is None:
            from ml.training.local import evaluate

            weights = self.weights[model_hash]
            found = self._accuracy[model_hash] = evaluate(
                self.model_id, weights, get_digits().test
            ).accuracy
        return found


def stack_rows(deltas: tuple[Float32Array, ...]) -> Float32Array:
    """Deltas as the rows of one matrix."""
    return np.stack(deltas).astype(np.float32)
