"""The app tasks a training node joined: which one needs a job next, and what came back.

A task is trained only while a ``[[tasks]]`` entry approves its exact ``app_hash``; the bundle
and the weights are fetched by hash, the layout comes from the chain, the data path from the
entry. Jobs rotate over the tasks so a slow task never starves another; a job that fails (bad
data, a broken app) is logged once per version and the node simply follows the chain.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from consensus.state import Task
from ml.apps.bundle import BundleLimits
from ml.errors import MlError
from ml.training.jobs import AppEvaluationJob, AppRef, AppTrainingJob, TrainingFailed
from node.chain.aggregator import MissingBlobError
from node.chain.chain_node import ChainNode
from node.chain.task_model import get_task_layout
from node.errors import ConfigError
from node.learning.joins import JoinedTask, load_joined_tasks, resolve_data_path

logger = logging.getLogger(__name__)

AppJob = AppTrainingJob | AppEvaluationJob
MAX_BUNDLE_BYTES = BundleLimits().max_bundle_bytes


@dataclass
class _Progress:
    trained: int = -1
    evaluated: int = -1


class AppTasks:
    """Jobs for the joined app tasks of one node."""

    def __init__(
        self,
        node: ChainNode,
        joined: tuple[JoinedTask, ...],
        *,
        home: Path,
        config_path: Path | None = None,
        evaluate: bool = True,
        identity: bytes = b"",
    ) -> None:
        self.node = node
        self.home = home
        self.joined = {j.task_id: j for j in joined}
        self._config_path = config_path
        self._mtime = self._read_mtime()
        self._evaluate = evaluate
        self._identity = identity
        self._progress: dict[int, _Progress] = {}
        self._refs: dict[tuple[int, bytes, str], AppRef] = {}
        """Per (task, approved hash, data path): a re-join with another path is a new ref."""
        self._warned: set[tuple[int, str]] = set()
        self._turn = 0

    def refresh(self) -> None:
        """Re-read the joined tasks when ``config.toml`` changed (``task join`` while running)."""
        mtime = self._read_mtime()
        if self._config_path is None or mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            joined = load_joined_tasks(self._config_path)
        except ConfigError as exc:
            logger.warning("joined tasks not reloaded: %s", exc)
            return
        added = sorted({j.task_id for j in joined} - set(self.joined))
        self.joined = {j.task_id: j for j in joined}
        if added:
            logger.info("joined tasks=%s: training starts without a restart", added)

    def _read_mtime(self) -> int:
        try:
            return 0 if self._config_path is None else self._config_path.stat().st_mtime_ns
        except OSError:
            return 0

    async def next_job(self, job_id: int) -> AppJob | None:
        """The next job: training of a new version first, then evaluation, tasks in turn."""
        tasks = self._eligible_tasks()
        if not tasks:
            return None
        self._turn = (self._turn + 1) % len(tasks)
        ordered = tasks[self._turn :] + tasks[: self._turn]
        for wants_training in (True, False):
            for task in ordered:
                job = await self._job_for(task, job_id, wants_training=wants_training)
                if job is not None:
                    return job
        return None

    def _eligible_tasks(self) -> list[Task]:
        state = self.node.get_chain_state()
        if self.node.sync.is_catching_up:  # a delta on an old version would be stale
            return []
        eligible = []
        for task_id, entry in sorted(self.joined.items()):
            task = state.tasks.get(task_id)
            if task is None or task.spec.app is None:
                continue
            if task.spec.app.app_hash != entry.app_hash:
                self._warn_once(task_id, "the approved app_hash is not the task's: not training")
                continue
            eligible.append(task)
        return eligible

    async def _job_for(self, task: Task, job_id: int, *, wants_training: bool) -> AppJob | None:
        progress = self._progress.setdefault(task.task_id, _Progress())
        done = progress.trained if wants_training else progress.evaluated
        if task.version <= done or (not wants_training and not self._evaluate):
            return None
        ref = await self._get_ref(task)
        if ref is None:
            return None
        try:
            weights = await self.node.aggregator.load_weights(task.model_hash)
        except MissingBlobError as exc:
            logger.info("task=%d waits for its model: %s", task.task_id, exc)
            return None
        if wants_training:
            seed = compute_app_seed(self._identity, task.task_id, task.version)
            return AppTrainingJob(job_id, ref, task.version, weights, seed)
        return AppEvaluationJob(job_id, ref, task.version, weights)

    async def _get_ref(self, task: Task) -> AppRef | None:
        app = task.spec.app
        if app is None:
            return None
        data = resolve_data_path(self.home, self.joined[task.task_id])
        cached = self._refs.get((task.task_id, app.app_hash, data))
        if cached is not None:
            return cached
        if not await self.node.fetch_blob(app.app_hash, MAX_BUNDLE_BYTES, (task.creator,)):
            logger.info("task=%d waits for its app bundle %s", task.task_id, app.app_hash.hex())
            return None
        try:
            layout = get_task_layout(task.spec)
        except MlError as exc:
            self._warn_once(task.task_id, f"the task's layout is unusable: {exc}")
            return None
        bundle = self.node.storage.blobs.get(app.app_hash) or b""
        cache = str(self.node.storage.blobs.root.parent / "apps")
        ref = AppRef(task.task_id, app.app_hash, bundle, layout, dict(app.config), data, cache)
        self._refs[(task.task_id, app.app_hash, data)] = ref
        return ref

    def on_failed(self, job: AppJob, outcome: TrainingFailed) -> None:
        """A job that produced nothing: skip this version of the task, tell the operator."""
        progress = self._progress.setdefault(job.app.task_id, _Progress())
        if isinstance(job, AppTrainingJob):
            progress.trained = max(progress.trained, job.model_version)
        progress.evaluated = max(progress.evaluated, job.model_version)
        self._warn_once(job.app.task_id, f"cannot train (following the chain): {outcome.reason}")

    def on_trained(self, job: AppTrainingJob) -> None:
        progress = self._progress.setdefault(job.app.task_id, _Progress())
        progress.trained = max(progress.trained, job.model_version)

    def on_evaluated(self, task_id: int, version: int) -> None:
        progress = self._progress.setdefault(task_id, _Progress())
        progress.evaluated = max(progress.evaluated, version)

    def _warn_once(self, task_id: int, message: str) -> None:
        if (task_id, message) not in self._warned:
            self._warned.add((task_id, message))
            logger.warning("task=%d %s", task_id, message)

    async def prefetch_bundles(self) -> None:
        """Hold every app task's bundle (bytes only, never imported) so that an operator can
        review it (``task join``) before approving it."""
        for task in list(self.node.get_chain_state().tasks.values()):
            app = task.spec.app
            if app is not None and not self.node.storage.blobs.has(app.app_hash):
                await self.node.fetch_blob(app.app_hash, MAX_BUNDLE_BYTES, (task.creator,))


def compute_app_seed(identity: bytes, task_id: int, version: int) -> int:
    """A training job's seed for one node (``identity``: its address), task and version."""
    material = identity + f"/{task_id}/{version}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")
