"""The node's training loop: train each new global model on the private shard, publish the delta.

Training runs in a separate, niced process (``ml.training.worker``): in the event loop or a
thread it delays gossip by seconds. The loop waits on the worker's pipe with
``trio.lowlevel.wait_readable``, so the node keeps gossiping meanwhile. A crashed worker is
reported, restarted after a pause, and the job is retried; the node itself never fails with it.

Poisoning roles for simulations (``attack``): ``label_flip`` trains on flipped labels,
``sign_flip`` and ``scaled`` send the delta negated or boosted, ``alie`` sends "a little is
enough" estimated from the latest version's benign deltas (``node.byzantine.alie``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import trio
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from consensus.transactions import ModelDelta, SignedTransaction, Transaction
from ml.attacks import flip_labels, flip_sign, scale_update
from ml.codec.delta import CodecConfig, encode_delta
from ml.data.datasets import Dataset, load_digits_split
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.models import get_model_spec
from ml.training.config import TrainConfig
from ml.training.jobs import (
    EvaluationDone,
    EvaluationJob,
    TrainingDone,
    TrainingFailed,
    TrainingJob,
    TrainingOutcome,
    WorkerJob,
)
from ml.training.worker import TrainingWorker
from ml.types import Float32Array
from node.byzantine.alie import compute_alie_delta
from node.byzantine.roles import ATTACKS
from node.chain.aggregator import MissingBlobError
from node.chain.chain_node import ChainNode
from node.chain.mempool import MempoolError
from node.errors import ConfigError
from node.learning.settings import TrainingConfig

logger = logging.getLogger(__name__)

SCALED_ATTACK_FACTOR = 10.0
WORKER_RESTART_S = 1.0
POLL_S = 0.2


@dataclass
class TrainerStats:
    jobs: int = 0
    deltas_submitted: int = 0
    failures: int = 0
    worker_restarts: int = 0
    accuracy: dict[int, float] = field(default_factory=dict)
    """Test accuracy by model version, as this node measured it."""


class Trainer:
    """Trains task ``task_id`` on this node's shard whenever a new model version is final."""

    def __init__(
        self,
        node: ChainNode,
        key: KeyPair,
        config: TrainingConfig,
        *,
        task_id: int = 1,
        codec: CodecConfig | None = None,
    ) -> None:
        if config.attack not in ATTACKS:
            raise ConfigError(f"training.attack must be one of {ATTACKS}, got {config.attack!r}")
        self.node = node
        self.key = key
        self.config = config
        self.task_id = task_id
        self.codec = codec or CodecConfig()
        self.stats = TrainerStats()
        self._worker = TrainingWorker()
        self._trained_version = -1
        self._evaluated_version = -1

    def load_shard(self) -> Dataset:
        """This node's private shard of the training data (never leaves the node)."""
        data = load_digits_split()
        scheme: Scheme = "dirichlet" if self.config.partition == "dirichlet" else "iid"
        spec = ShardSpec(
            scheme,
            self.config.num_shards,
            self.config.shard_index,
            self.config.seed,
            self.config.alpha,
        )
        shard = compute_shard(data.train, spec)
        return flip_labels(shard) if self.config.attack == "label_flip" else shard

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        shard, test = self.load_shard(), load_digits_split().test
        self._worker.start()
        task_status.started()
        try:
            while True:
                job = await self._next_job(shard, test)
                outcome = await self._run_job(job)
                await self._handle(job, outcome)
        finally:
            self._worker.close()

    async def _next_job(self, shard: Dataset, test: Dataset) -> WorkerJob:
        """Train each new version first (the chain waits for deltas), evaluate when idle."""
        while True:
            task = self.node.get_chain_state().tasks.get(self.task_id)
            if self.node.sync.is_catching_up:  # a delta on an old version would be stale
                task = None
            wants_training = task is not None and task.version > self._trained_version
            wants_eval = (
                task is not None and self.config.evaluate and task.version > self._evaluated_version
            )
            if task is not None and (wants_training or wants_eval):
                try:
                    weights = await self.node.aggregator.load_weights(task.model_hash)
                except MissingBlobError as exc:
                    logger.info("training waits for the model: %s", exc)
                    await trio.sleep(POLL_S)
                    continue
                self.stats.jobs += 1
                if wants_training:
                    return self._training_job(task.spec.model_id, task.version, weights, shard)
                model_id, version = task.spec.model_id, task.version
                return EvaluationJob(self.stats.jobs, model_id, version, weights, test)
            with trio.move_on_after(POLL_S):  # woken at once when the chain state changes
                await self.node.driver.chain_changed.wait()

    def _training_job(
        self, model_id: str, version: int, weights: Float32Array, shard: Dataset
    ) -> TrainingJob:
        config = self.config
        return TrainingJob(
            job_id=self.stats.jobs,
            model_id=model_id,
            model_version=version,
            weights=weights,
            shard=shard,
            config=TrainConfig(config.local_epochs, config.batch_size, config.learning_rate),
            seed=compute_job_seed(config, version),
        )

    async def _run_job(self, job: WorkerJob) -> TrainingOutcome:
        # Sending blocks until the worker reads, and a worker that is still importing torch
        # reads nothing for seconds: a thread sends, so the event loop never waits on it.
        await trio.to_thread.run_sync(self._worker.submit, job)
        while True:
            await trio.lowlevel.wait_readable(self._worker.fileno())
            outcome = self._worker.poll_result()
            if outcome is not None:
                return outcome

    async def _handle(self, job: WorkerJob, outcome: TrainingOutcome) -> None:
        if isinstance(outcome, TrainingFailed):
            self.stats.failures += 1
            logger.warning("training job=%d failed: %s", job.job_id, outcome.reason)
            if outcome.crashed:
                await self._restart_worker()
            return
        if isinstance(outcome, EvaluationDone):
            self._record_accuracy(outcome)
            return
        if not isinstance(job, TrainingJob):  # a training result always answers a training job
            return
        self._trained_version = job.model_version
        await self.submit_delta(job, outcome)

    def _record_accuracy(self, done: EvaluationDone) -> None:
        self._evaluated_version = done.model_version
        accuracy = done.metrics.accuracy
        self.stats.accuracy[done.model_version] = accuracy
        self.node.storage.store.set_model_accuracy(self.task_id, done.model_version, accuracy)
        logger.info("model version=%d test accuracy=%.4f", done.model_version, accuracy)

    async def _restart_worker(self) -> None:
        self.stats.worker_restarts += 1
        await trio.to_thread.run_sync(self._worker.close)  # joins the old process (up to 5 s)
        await trio.sleep(WORKER_RESTART_S)
        self._worker = TrainingWorker()
        self._worker.start()

    async def submit_delta(self, job: TrainingJob, done: TrainingDone) -> None:
        """Store the encoded delta as a blob and announce it in a signed transaction."""
        delta = self._apply_attack(done.delta, job.model_version)
        model = get_model_spec(job.model_id)
        payload = encode_delta(delta, model.model_id, model.shapes, self.codec)
        payload_hash = self.node.storage.blobs.put(payload)
        state = self.node.get_chain_state()
        body = ModelDelta(
            self.task_id, job.model_version, payload_hash, len(payload), done.num_samples
        )
        nonce = self.node.mempool.get_next_nonce(self.key.address)
        tx = Transaction(state.chain_id, self.key.address, nonce, state.params.min_fee, body)
        try:
            await self.node.submit_transaction(
                SignedTransaction(tx, self.key.sign(tx.sign_bytes()))
            )
        except MempoolError as exc:
            logger.info("delta for version=%d not admitted: %s", job.model_version, exc)
            return
        self.stats.deltas_submitted += 1

    def _apply_attack(self, delta: Float32Array, version: int) -> Float32Array:
        if self.config.attack == "alie":
            return compute_alie_delta(self.node, self.task_id, version, self.key.address, delta)
        if self.config.attack == "sign_flip":
            return flip_sign(delta)
        if self.config.attack == "scaled":
            return scale_update(delta, SCALED_ATTACK_FACTOR)
        return delta


def compute_job_seed(config: TrainingConfig, version: int) -> int:
    material = f"{config.seed}/{config.shard_index}/{version}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")
