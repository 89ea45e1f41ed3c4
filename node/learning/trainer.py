"""The node's training loop: train each new global model on the private shard, publish the delta.

Training runs in a separate, niced process (``ml.training.worker``): in the event loop or a
thread it delays gossip by seconds. The loop waits on the worker's pipe with
``trio.lowlevel.wait_readable``, so the node keeps gossiping meanwhile. A crashed worker is
reported, restarted after a pause, and the job is retried; the node itself never fails with it.

Speculative training (``speculate``, on by default): once a valid proposed block would derive
the next version (the aggregator computes it while the validators vote), the worker trains on
it at once instead of waiting for finality. The delta is held until this node derives that
version: published if the final version has the same model hash, dropped otherwise (another
block was decided; the final version is then trained as usual). The job's seed depends only on
the version, so a published speculative delta is bit for bit the one training after finality
would have made; it only arrives one vote earlier, in time for the block that extends it.

Poisoning roles for simulations (``attack``): ``label_flip`` trains on flipped labels,
``sign_flip`` and ``scaled`` send the delta negated or boosted, ``alie`` sends "a little is
enough" estimated from the latest version's benign deltas (``node.byzantine.alie``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

import trio
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from consensus.state import Task
from consensus.transactions import ModelDelta, SignedTransaction, Transaction
from ml.attacks import flip_labels, flip_sign, scale_update
from ml.codec.delta import CodecConfig, encode_delta
from ml.data.datasets import Dataset, load_digits_split
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.layout import Layout
from ml.models import get_model_spec
from ml.training.config import TrainConfig
from ml.training.jobs import (
    AppEvaluationJob,
    AppTrainingJob,
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
from node.chain.waiting import wait_for_any
from node.errors import ConfigError
from node.learning.app_tasks import AppTasks
from node.learning.reports import compute_evaluation_report
from node.learning.settings import TrainingConfig

logger = logging.getLogger(__name__)

SCALED_ATTACK_FACTOR = 10.0
WORKER_RESTART_S = 1.0
POLL_S = 0.2
PREFETCH_S = 2.0
SPECULATION_HOLD_S = 60.0
"""How long a speculative delta waits for its version to be final before it is dropped."""


@dataclass
class TrainerStats:
    jobs: int = 0
    deltas_submitted: int = 0
    failures: int = 0
    worker_restarts: int = 0
    speculative_jobs: int = 0
    """Training jobs on a proposed version (before it was final)."""
    speculative_published: int = 0
    speculative_dropped: int = 0
    """Speculative deltas whose version was not decided as trained (or not within the hold)."""
    accuracy: dict[int, float] = field(default_factory=dict)
    """Test accuracy by model version, as this node measured it."""

    def get_metrics(self) -> dict[str, float]:
        """The counters by Prometheus metric name (``deltachain_training_*``)."""
        counters = {
            "jobs": self.jobs,
            "deltas_submitted": self.deltas_submitted,
            "failures": self.failures,
            "worker_restarts": self.worker_restarts,
            "speculative_jobs": self.speculative_jobs,
            "speculative_published": self.speculative_published,
            "speculative_dropped": self.speculative_dropped,
        }
        return {f"deltachain_training_{name}_total": value for name, value in counters.items()}


class Trainer:
    """Trains, whenever a new model version is final: catalog task ``task_id`` on this node's
    digits shard, and every app task the operator joined (``apps``) on the node's own data.
    One worker process runs one job at a time, tasks in turn."""

    def __init__(
        self,
        node: ChainNode,
        key: KeyPair,
        config: TrainingConfig,
        *,
        task_id: int = 1,
        codec: CodecConfig | None = None,
        apps: AppTasks | None = None,
    ) -> None:
        if config.attack not in ATTACKS:
            raise ConfigError(f"training.attack must be one of {ATTACKS}, got {config.attack!r}")
        self.node = node
        self.key = key
        self.config = config
        self.task_id = task_id
        self.codec = codec or CodecConfig()
        self.stats = TrainerStats()
        self.apps = apps
        self._worker = TrainingWorker(self.config.worker_nice)
        self._trained: tuple[int, bytes] = (-1, b"")
        """The version and model hash of the catalog task last trained on (once final)."""
        self._speculated: tuple[int, bytes] = (-1, b"")
        """The proposed version and model hash last trained on (its delta held or published)."""
        self._evaluated_version = -1
        self._job_bases: dict[int, bytes] = {}
        """Model hash by job id: the base of each catalog training job under way."""
        self._speculations: set[int] = set()
        """Job ids of the catalog training jobs on a proposed (not yet final) version."""

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
            async with trio.open_nursery() as nursery:
                if self.apps is not None:
                    nursery.start_soon(self._prefetch_bundles, self.apps)
                while True:
                    job = await self._next_job(shard, test)
                    outcome = await self._run_job(job)
                    await self._handle(job, outcome, nursery)
        finally:
            self._worker.close()

    async def _prefetch_bundles(self, apps: AppTasks) -> None:
        while True:
            await apps.prefetch_bundles()
            await trio.sleep(PREFETCH_S)

    async def _next_job(self, shard: Dataset, test: Dataset) -> WorkerJob:
        """Train each new version first (the chain waits for deltas), evaluate when idle; the
        catalog task first, then the joined app tasks in turn."""
        while True:
            job = await self._next_catalog_job(shard, test)
            if job is None and self.apps is not None:
                self.apps.refresh()
                job = await self.apps.next_job(self.stats.jobs + 1)
                self.stats.jobs += job is not None
            if job is not None:
                return job
            with trio.move_on_after(POLL_S):  # woken at once by a new state or proposed version
                await wait_for_any(
                    self.node.driver.chain_changed, self.node.aggregator.proposed_changed
                )

    async def _next_catalog_job(self, shard: Dataset, test: Dataset) -> WorkerJob | None:
        """A job for the catalog task ``task_id`` (a task of a built-in model id), if due: the
        current version untrained, else a proposed next version, else an evaluation."""
        task = self.node.get_chain_state().tasks.get(self.task_id)
        if task is None or task.spec.app is not None or self.node.sync.is_catching_up:
            return None  # no catalog task, or catching up (a delta would be stale)
        current = (task.version, task.model_hash)
        done = current in (self._trained, self._speculated)
        wants_training = task.version >= self._trained[0] and not done
        if not wants_training:
            speculative = self._speculative_job(task, shard, test)
            if speculative is not None:
                return speculative
        # A version trained on was measured by that job (recorded once its delta is published).
        wants_eval = self.config.evaluate and task.version > self._evaluated_version
        if not wants_training and (not wants_eval or done):
            return None
        try:
            weights = await self.node.aggregator.load_weights(task.model_hash)
        except MissingBlobError as exc:
            logger.info("training waits for the model: %s", exc)
            return None
        self.stats.jobs += 1
        if wants_training:
            job = self._training_job(task.spec.model_id, task.version, weights, shard, test)
            self._job_bases[job.job_id] = task.model_hash
            return job
        model_id, version = task.spec.model_id, task.version
        return EvaluationJob(self.stats.jobs, model_id, version, weights, test)

    def _speculative_job(self, task: Task, shard: Dataset, test: Dataset) -> TrainingJob | None:
        """A training job on the version a valid proposed block would derive next, if any and
        not trained on yet."""
        proposed = self.node.aggregator.proposed.get(self.task_id)
        if not self.config.speculate or proposed is None or proposed.version != task.version + 1:
            return None
        if (proposed.version, proposed.model_hash) in (self._trained, self._speculated):
            return None
        self.stats.jobs += 1
        self.stats.speculative_jobs += 1
        model_id = task.spec.model_id
        job = self._training_job(model_id, proposed.version, proposed.weights, shard, test)
        self._job_bases[job.job_id] = proposed.model_hash
        self._speculations.add(job.job_id)
        return job

    def _training_job(
        self, model_id: str, version: int, weights: Float32Array, shard: Dataset, test: Dataset
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
            validation=test,  # the base version is measured first: the delta reports it
        )

    async def _run_job(self, job: WorkerJob) -> TrainingOutcome:
        failed_to_start = await self._wait_until_worker_ready()
        if failed_to_start is not None:
            return failed_to_start
        # Sending blocks until the worker reads: a thread sends, so the event loop never waits.
        await trio.to_thread.run_sync(self._worker.submit, job)
        handed_over = trio.current_time()
        is_training = isinstance(job, TrainingJob | AppTrainingJob)
        if is_training:
            task_id = job.app.task_id if isinstance(job, AppTrainingJob) else self.task_id
            timeline = self.node.driver.timeline
            timeline.on_handed_to_worker(task_id, job.model_version, handed_over)
            if timeline.first_job_unix_s is None:
                timeline.first_job_unix_s = time.time()
        while True:
            await trio.lowlevel.wait_readable(self._worker.fileno())
            outcome = self._worker.poll_result()
            if outcome is not None:
                if is_training:
                    self.node.driver.timeline.spans.observe(
                        "train", trio.current_time() - handed_over
                    )
                return outcome

    async def _wait_until_worker_ready(self) -> TrainingOutcome | None:
        """Wait (never blocking the loop) until the worker has imported torch; its crash
        outcome if it died first. Jobs are timed from the moment a ready worker has them."""
        while not self._worker.is_ready:
            await trio.lowlevel.wait_readable(self._worker.fileno())
            outcome = self._worker.poll_result()
            if outcome is not None:
                return outcome
        return None

    async def _handle(
        self, job: WorkerJob, outcome: TrainingOutcome, nursery: trio.Nursery
    ) -> None:
        base_hash = self._job_bases.pop(job.job_id, b"")
        speculative = job.job_id in self._speculations
        self._speculations.discard(job.job_id)
        if isinstance(job, AppTrainingJob | AppEvaluationJob):
            await self._handle_app(job, outcome)
            return
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
        if speculative:
            self._speculated = (job.model_version, base_hash)
            nursery.start_soon(self._publish_when_final, job, outcome, base_hash)
            return
        self._trained = (job.model_version, base_hash)
        await self._publish_trained(job, outcome)

    async def _publish_trained(self, job: TrainingJob, outcome: TrainingDone) -> None:
        if outcome.base_metrics is not None:  # the job measured the version: no extra job
            self._record_accuracy(
                EvaluationDone(job.job_id, job.model_version, outcome.base_metrics)
            )
        await self.submit_delta(job, outcome)

    async def _publish_when_final(
        self, job: TrainingJob, outcome: TrainingDone, base_hash: bytes
    ) -> None:
        """Publish a delta trained on a proposed version once a final block fixed that version
        with the same model hash; drop it if another version was decided."""
        decided_hash = await self._wait_for_decision(job.model_version)
        if decided_hash == base_hash:
            self.stats.speculative_published += 1
            self._trained = max(self._trained, (job.model_version, base_hash))
            await self._publish_trained(job, outcome)
            return
        self.stats.speculative_dropped += 1
        logger.info("speculative delta for version=%d dropped: not decided", job.model_version)
        if self._speculated == (job.model_version, base_hash):
            self._speculated = (-1, b"")  # should the version still come (a slow chain): train it

    async def _wait_for_decision(self, version: int) -> bytes | None:
        """The model hash a final block fixed for ``version`` of the catalog task (b"" if the
        task is gone or went past it unseen; None after ``SPECULATION_HOLD_S``)."""
        decided = None
        with trio.move_on_after(SPECULATION_HOLD_S):
            while (decided := self._find_decision(version)) is None:
                await wait_for_any(
                    self.node.driver.chain_changed, self.node.aggregator.decided_changed
                )
        return decided

    def _find_decision(self, version: int) -> bytes | None:
        task = self.node.get_chain_state().tasks.get(self.task_id)
        if task is None or task.version > version:
            return b""
        if task.version == version:
            return task.model_hash
        decided = self.node.aggregator.decided.get(self.task_id)
        if decided is not None and decided[0] >= version:
            return decided[1] if decided[0] == version else b""
        return None

    async def _handle_app(
        self, job: AppTrainingJob | AppEvaluationJob, outcome: TrainingOutcome
    ) -> None:
        apps, task_id = self.apps, job.app.task_id
        if apps is None:
            return
        if isinstance(outcome, TrainingFailed):
            self.stats.failures += 1
            apps.on_failed(job, outcome)
            if outcome.crashed:
                await self._restart_worker()
            return
        measured = outcome if isinstance(outcome, EvaluationDone) else None
        if isinstance(outcome, TrainingDone) and outcome.base_metrics is not None:
            measured = EvaluationDone(job.job_id, job.model_version, outcome.base_metrics)
        if measured is not None:  # a training job measures its base version too
            apps.on_evaluated(task_id, measured.model_version)
            self.node.storage.store.set_model_accuracy(
                task_id, measured.model_version, measured.metrics.accuracy
            )
            logger.info(
                "task=%d model version=%d validation accuracy=%.4f",
                task_id, measured.model_version, measured.metrics.accuracy,
            )  # fmt: skip
        if isinstance(outcome, TrainingDone) and isinstance(job, AppTrainingJob):
            apps.on_trained(job)
            await self.publish_delta(task_id, job.model_version, outcome, job.app.layout)

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
        self._worker = TrainingWorker(self.config.worker_nice)
        self._worker.start()

    async def submit_delta(self, job: TrainingJob, done: TrainingDone) -> None:
        """Store the encoded delta as a blob and announce it in a signed transaction."""
        layout = get_model_spec(job.model_id).layout
        await self.publish_delta(self.task_id, job.model_version, done, layout)

    async def publish_delta(
        self, task_id: int, version: int, done: TrainingDone, layout: Layout
    ) -> None:
        """Encode the delta for ``layout`` (its model id names it), store it as a blob and
        announce it in a signed ModelDelta for ``task_id``."""
        started = trio.current_time()
        timeline = self.node.driver.timeline
        delta = self._apply_attack(done.delta, version, task_id)
        payload = encode_delta(delta, layout.model_id, layout.shapes, self.codec)
        payload_hash = self.node.storage.blobs.put(payload, durable=False)  # gossiped with its tx
        state = self.node.get_chain_state()
        report = compute_evaluation_report(done.base_metrics)
        body = ModelDelta(task_id, version, payload_hash, len(payload), done.num_samples, report)
        nonce = self.node.mempool.get_next_nonce(self.key.address)
        tx = Transaction(state.chain_id, self.key.address, nonce, state.params.min_fee, body)
        signed = SignedTransaction(tx, self.key.sign(tx.sign_bytes()))
        now = trio.current_time()
        timeline.spans.observe("encode", now - started)
        timeline.on_submitted(signed.hash, now)
        try:
            await self.node.submit_transaction(signed)
        except MempoolError as exc:
            logger.info("delta for task=%d version=%d not admitted: %s", task_id, version, exc)
            return
        self.stats.deltas_submitted += 1

    def _apply_attack(self, delta: Float32Array, version: int, task_id: int) -> Float32Array:
        if self.config.attack == "alie":
            return compute_alie_delta(self.node, task_id, version, self.key.address, delta)
        if self.config.attack == "sign_flip":
            return flip_sign(delta)
        if self.config.attack == "scaled":
            return scale_update(delta, SCALED_ATTACK_FACTOR)
        return delta


def compute_job_seed(config: TrainingConfig, version: int) -> int:
    material = f"{config.seed}/{config.shard_index}/{version}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")
