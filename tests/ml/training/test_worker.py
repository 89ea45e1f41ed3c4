import os
import select
import signal
import time
from multiprocessing.connection import wait

import pytest
import trio

from ml.data.datasets import load_digits_split
from ml.data.partition import ShardSpec, compute_shard
from ml.errors import WorkerError
from ml.models import init_weights
from ml.training.config import TrainConfig
from ml.training.jobs import (
    EvaluationDone,
    EvaluationJob,
    TrainingDone,
    TrainingFailed,
    TrainingJob,
)
from ml.training.local import configure_determinism, evaluate, train_local
from ml.training.worker import TrainingWorker

pytestmark = pytest.mark.multiprocess

SHARD = compute_shard(load_digits_split().train, ShardSpec("iid", 10, 1, seed=0))
CONFIG = TrainConfig(epochs=2, batch_size=16, lr=0.05)


def _job(job_id: int, model_id: str = "mlp-digits", epochs: int = 2) -> TrainingJob:
    config = TrainConfig(epochs=epochs, batch_size=16, lr=0.05)
    weights = init_weights("mlp-digits", 3)
    return TrainingJob(job_id, model_id, 4, weights, SHARD, config, seed=8)


@pytest.fixture(scope="module")
def worker():
    handle = TrainingWorker()
    handle.start()
    yield handle
    handle.close()


def test_worker_returns_the_same_delta_as_training_in_process(worker):
    worker.submit(_job(1))
    outcome = worker.wait_result(120)
    assert isinstance(outcome, TrainingDone)
    assert (outcome.job_id, outcome.model_version, outcome.num_samples) == (1, 4, len(SHARD))
    configure_determinism()
    local = train_local(
        "mlp-digits", init_weights("mlp-digits", 3), SHARD, CONFIG, seed=8, model_version=4
    )
    assert outcome.delta.tobytes() == local.delta.tobytes()
    assert outcome.metrics == local.metrics


def test_worker_evaluates_weights_like_in_process(worker):
    test = load_digits_split().test
    weights = init_weights("mlp-digits", 3)
    worker.submit(EvaluationJob(9, "mlp-digits", 2, weights, test))
    outcome = worker.wait_result(120)
    assert isinstance(outcome, EvaluationDone)
    assert (outcome.job_id, outcome.model_version) == (9, 2)
    assert outcome.metrics == evaluate("mlp-digits", weights, test)
    assert 0.0 <= outcome.metrics.accuracy <= 1.0


def test_worker_reports_a_failing_job_and_stays_usable(worker):
    worker.submit(_job(2, model_id="nope"))
    outcome = worker.wait_result(120)
    assert outcome == TrainingFailed(2, "UnknownModelError: unknown model id 'nope'", False)
    worker.submit(_job(3))
    assert isinstance(worker.wait_result(120), TrainingDone)


def test_worker_accepts_one_job_at_a_time(worker):
    worker.submit(_job(4))
    with pytest.raises(WorkerError, match="busy"):
        worker.submit(_job(5))
    assert isinstance(worker.wait_result(120), TrainingDone)
    assert not worker.is_busy


def test_worker_process_runs_at_lower_priority(worker):
    expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == expected


async def test_worker_can_be_awaited_without_blocking_the_event_loop(worker):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await trio.sleep(0.01)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        worker.submit(_job(6, epochs=300))
        assert worker.poll_result() is None
        with trio.fail_after(120):
            await trio.lowlevel.wait_readable(worker.fileno())
        outcome = worker.poll_result()
        nursery.cancel_scope.cancel()
    assert isinstance(outcome, TrainingDone)
    assert ticks > 10  # the loop kept running while the worker trained


def test_worker_killed_mid_job_is_reported_not_raised():
    handle = TrainingWorker(nice=0)
    handle.start()
    try:
        handle.submit(_job(7, epochs=100_000))
        os.kill(handle.pid, signal.SIGKILL)
        outcome = handle.wait_result(60)
        assert isinstance(outcome, TrainingFailed)
        assert outcome.crashed and outcome.job_id == 7
        assert "-9" in outcome.reason
        assert not handle.is_running
        with pytest.raises(WorkerError):
            handle.fileno()
        handle.start()
        handle.submit(_job(8))
        assert isinstance(handle.wait_result(120), TrainingDone)
    finally:
        handle.close()


def test_worker_job_sent_to_a_dead_worker_comes_back_as_a_crash():
    handle = TrainingWorker()
    handle.start()
    try:
        os.kill(handle.pid, signal.SIGKILL)
        readable, _, _ = select.select([handle.fileno()], [], [], 30)  # EOF: the child is gone
        assert readable
        handle.submit(_job(10))
        outcome = handle.wait_result(30)
        assert isinstance(outcome, TrainingFailed)
        assert outcome.crashed and outcome.job_id == 10
    finally:
        handle.close()


def test_worker_handle_refuses_use_before_start_and_bad_nice():
    handle = TrainingWorker()
    with pytest.raises(WorkerError):
        handle.poll_result()
    with pytest.raises(WorkerError):
        handle.submit(_job(9))
    with pytest.raises(WorkerError):
        TrainingWorker(nice=40)


def is_ready(worker: TrainingWorker) -> bool:
    return worker.is_ready


def test_worker_says_when_it_is_ready_and_the_ready_message_is_no_outcome() -> None:
    worker = TrainingWorker(nice=0)
    worker.start()
    try:
        assert not is_ready(worker)
        deadline = time.monotonic() + 120
        while not is_ready(worker) and time.monotonic() < deadline:
            wait([worker.fileno()], 1.0)
            assert worker.poll_result() is None  # the ready message is no job outcome
        assert is_ready(worker)
    finally:
        worker.close()
    assert not is_ready(worker)
