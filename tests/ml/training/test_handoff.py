"""Jobs reach the worker with their weights in a mapped file and their dataset sent once."""

from pathlib import Path
from typing import cast

import numpy as np

from ml.data.datasets import load_digits_split
from ml.training.config import TrainConfig
from ml.training.handoff import (
    HandoffReceiver,
    HandoffSender,
    KnownDataset,
    MappedWeights,
    NewDataset,
)
from ml.training.jobs import EvaluationJob, TrainingJob

DATA = load_digits_split()


def job(job_id: int, weights: np.ndarray) -> TrainingJob:
    return TrainingJob(
        job_id, "mlp-digits", job_id, weights, DATA.train, TrainConfig(1, 32, 0.1), 7
    )


def test_weights_go_through_the_file_and_the_shard_only_once(tmp_path: Path) -> None:
    sender, receiver = HandoffSender(tmp_path), HandoffReceiver()
    first = np.arange(10, dtype=np.float32)
    packed = sender.pack(job(1, first))
    assert isinstance(packed.weights, MappedWeights) and isinstance(
        cast(TrainingJob, packed).shard, NewDataset
    )
    unpacked = receiver.unpack(packed)
    assert isinstance(unpacked, TrainingJob)
    np.testing.assert_array_equal(unpacked.weights, first)
    assert unpacked.shard is DATA.train
    held = unpacked.weights
    second = np.full(10, 2.5, dtype=np.float32)
    packed = sender.pack(job(2, second))
    np.testing.assert_array_equal(held, first)  # the old mapping keeps its own file
    assert isinstance(
        cast(TrainingJob, packed).shard, KnownDataset
    )  # no data through the pipe this time
    unpacked = receiver.unpack(packed)
    assert isinstance(unpacked, TrainingJob) and unpacked.shard is DATA.train
    np.testing.assert_array_equal(unpacked.weights, second)
    unpacked.weights[0] = 99.0  # copy on write: the file, and so what the next reader sees, stay
    np.testing.assert_array_equal(cast(TrainingJob, receiver.unpack(packed)).weights, second)
    evaluation = sender.pack(EvaluationJob(3, "mlp-digits", 2, second, DATA.test))
    assert isinstance(evaluation, EvaluationJob) and isinstance(evaluation.dataset, NewDataset)
    sender.close()
    assert not sender.path.exists()


def test_a_weights_file_that_cannot_be_written_sends_the_weights_inline(tmp_path: Path) -> None:
    sender = HandoffSender(tmp_path / "missing-directory")
    weights = np.ones(4, dtype=np.float32)
    packed = sender.pack(job(1, weights))
    assert packed.weights is weights
    unpacked = HandoffReceiver().unpack(packed)
    assert isinstance(unpacked, TrainingJob) and unpacked.weights is weights
