"""The training worker: a spawned, niced process that trains one job at a time.

The handle never blocks: the node's trio shell waits on `fileno()` with
`trio.lowlevel.wait_readable` and then calls `poll_result()`. A job that raises comes back as
`TrainingFailed(crashed=False)`; a worker that dies (exception at start-up, killed, out of
memory) comes back as `TrainingFailed(crashed=True)`; nothing is raised into the caller.
This module imports no torch: only the child process does.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from ml.errors import WorkerError
from ml.training.handoff import HandoffReceiver, HandoffSender
from ml.training.jobs import (
    AppEvaluationJob,
    AppTrainingJob,
    EvaluationDone,
    EvaluationJob,
    TrainingDone,
    TrainingFailed,
    TrainingOutcome,
    WorkerJob,
)

logger = logging.getLogger(__name__)
DEFAULT_NICE = 10
WORKER_READY = "ready"
"""The worker's first message: torch is imported and it reads jobs now."""


def _run_job(job: WorkerJob) -> TrainingOutcome:
    if isinstance(job, AppTrainingJob | AppEvaluationJob):
        from ml.training.app_jobs import run_app_job

        return run_app_job(job)
    if isinstance(job, EvaluationJob):
        return _run_evaluation(job)
    from ml.training.local import train_local

    try:
        update = train_local(
            job.model_id,
            job.weights,
            job.shard,
            job.config,
            seed=job.seed,
            model_version=job.model_version,
            validation=job.validation,
        )
    except Exception as exc:  # reported to the node, which decides what to do
        return TrainingFailed(job.job_id, f"{type(exc).__name__}: {exc}", crashed=False)
    return TrainingDone(
        job.job_id,
        job.model_version,
        update.delta,
        update.num_samples,
        update.metrics,
        update.base_metrics,
    )


def _run_evaluation(job: EvaluationJob) -> TrainingOutcome:
    from ml.training.local import evaluate

    try:
        metrics = evaluate(job.model_id, job.weights, job.dataset)
    except Exception as exc:  # reported to the node, which decides what to do
        return TrainingFailed(job.job_id, f"{type(exc).__name__}: {exc}", crashed=False)
    return EvaluationDone(job.job_id, job.model_version, metrics)


def _worker_main(conn: Connection, nice: int) -> None:
    """Entry point of the child process: lower priority, then serve jobs until EOF."""
    if nice:
        os.nice(nice)
    from ml.training.local import configure_determinism

    configure_determinism()
    try:
        conn.send(WORKER_READY)
    except (BrokenPipeError, OSError):
        return
    receiver = HandoffReceiver()
    while True:
        try:
            job = receiver.unpack(conn.recv())
        except (EOFError, OSError):
            return
        try:
            conn.send(_run_job(job))
        except (BrokenPipeError, OSError):  # the node went away while we trained
            return


class TrainingWorker:
    """Handle on one worker process; start it, submit a job, poll for the outcome."""

    def __init__(self, nice: int = DEFAULT_NICE) -> None:
        if not 0 <= nice <= 19:
            raise WorkerError(f"nice increment must be in [0, 19], got {nice}")
        self._nice = nice
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._pending: int | None = None
        self._ready = False
        self._handoff = HandoffSender()

    @property
    def is_ready(self) -> bool:
        """Whether the worker said it is ready (torch imported, reading jobs)."""
        return self._ready

    @property
    def is_running(self) -> bool:
        return self._process is not None

    @property
    def is_busy(self) -> bool:
        return self._pending is not None

    @property
    def pid(self) -> int:
        pid = self._require_process().pid
        if pid is None:
            raise WorkerError("worker has no pid yet")
        return pid

    def start(self) -> None:
        """Spawn the worker process (a fresh interpreter; torch is imported there)."""
        if self._process is not None:
            raise WorkerError("worker is already running")
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_worker_main, args=(child, self._nice), name="ml-training", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        logger.info("training worker started pid=%s nice=%s", process.pid, self._nice)

    def submit(self, job: WorkerJob) -> None:
        """Hand `job` to the worker; one job at a time. If the worker has died, the job's
        outcome is the crash, reported by `poll_result`."""
        conn = self._require_conn()
        if self._pending is not None:
            raise WorkerError(f"worker is busy with job {self._pending}")
        self._pending = job.job_id
        try:
            conn.send(self._handoff.pack(job))
        except OSError as exc:  # the worker is dead: poll_result reports it as a crash
            logger.warning("training job not delivered job_id=%s error=%s", job.job_id, exc)

    def fileno(self) -> int:
        """A descriptor that becomes readable when an outcome (or the worker's death) is ready."""
        return self._require_conn().fileno()

    def poll_result(self) -> TrainingOutcome | None:
        """The outcome if one is ready, else None. Never blocks."""
        conn = self._require_conn()
        process = self._require_process()
        alive = process.is_alive()
        while conn.poll():
            try:
                outcome: TrainingOutcome | str = conn.recv()
            except (EOFError, OSError):
                return self._on_crash(process, conn)
            if isinstance(outcome, str):  # WORKER_READY, once, before any outcome
                self._ready = True
                continue
            self._pending = None
            return outcome
        return None if alive else self._on_crash(process, conn)

    def wait_result(self, timeout: float | None = None) -> TrainingOutcome | None:
        """Blocking variant for scripts and tests: wait up to `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait([self._require_conn()], remaining)
            outcome = self.poll_result()
            if outcome is not None or (deadline is not None and time.monotonic() >= deadline):
                return outcome

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker: close the pipe (it exits on EOF), then terminate if it lingers."""
        self._handoff.close()
        if self._process is None or self._conn is None:
            return
        self._conn.close()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process, self._conn, self._pending, self._ready = None, None, None, False

    def _require_conn(self) -> Connection:
        if self._conn is None:
            raise WorkerError("worker is not running")
        return self._conn

    def _require_process(self) -> BaseProcess:
        if self._process is None:
            raise WorkerError("worker is not running")
        return self._process

    def _on_crash(self, process: BaseProcess, conn: Connection) -> TrainingFailed:
        process.join(1.0)
        code = process.exitcode
        failed = TrainingFailed(self._pending, f"worker exited with code {code}", crashed=True)
        logger.warning("training worker died pid=%s exitcode=%s", process.pid, code)
        conn.close()
        self._handoff.close()
        self._process, self._conn, self._pending, self._ready = None, None, None, False
        return failed
