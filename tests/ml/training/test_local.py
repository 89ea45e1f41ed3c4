import numpy as np
import pytest

from ml.data.datasets import load_digits_split, make_synthetic
from ml.data.partition import ShardSpec, compute_shard
from ml.errors import TrainingError, WeightsError
from ml.models import init_weights
from ml.training.config import TrainConfig
from ml.training.local import configure_determinism, evaluate, train_local

DATA = load_digits_split()
SHARD = compute_shard(DATA.train, ShardSpec("iid", 10, 3, seed=0))
CONFIG = TrainConfig(epochs=3, batch_size=16, lr=0.05, momentum=0.9)


@pytest.fixture(autouse=True)
def _deterministic_torch():
    configure_determinism()


def test_local_same_inputs_give_the_same_delta_bytes():
    weights = init_weights("mlp-digits", 1)
    first = train_local("mlp-digits", weights, SHARD, CONFIG, seed=4, model_version=2)
    second = train_local("mlp-digits", weights, SHARD, CONFIG, seed=4, model_version=2)
    assert first.delta.tobytes() == second.delta.tobytes()
    other = train_local("mlp-digits", weights, SHARD, CONFIG, seed=4, model_version=3)
    assert other.delta.tobytes() != first.delta.tobytes()


def test_local_training_fits_the_shard():
    weights = init_weights("logreg-digits", 0)
    before = evaluate("logreg-digits", weights, SHARD)
    update = train_local("logreg-digits", weights, SHARD, CONFIG, seed=0, model_version=0)
    assert update.num_samples == len(SHARD)
    assert update.delta.dtype == np.float32
    assert update.metrics.loss < before.loss
    assert update.metrics.accuracy > 0.8
    assert evaluate("logreg-digits", weights + update.delta, DATA.test).accuracy > 0.6


def test_local_cnn_trains_too():
    weights = init_weights("cnn-digits", 0)
    update = train_local("cnn-digits", weights, SHARD, CONFIG, seed=0, model_version=0)
    assert np.abs(update.delta).max() > 0


def test_local_rejects_bad_jobs():
    weights = init_weights("mlp-digits", 1)
    with pytest.raises(WeightsError):
        train_local("logreg-digits", weights, SHARD, CONFIG, seed=0, model_version=0)
    with pytest.raises(TrainingError):
        train_local(
            "mlp-digits",
            weights,
            SHARD.subset(np.array([], np.int64)),
            CONFIG,
            seed=0,
            model_version=0,
        )
    with pytest.raises(TrainingError):
        TrainConfig(epochs=0)
    with pytest.raises(TrainingError):
        TrainConfig(lr=float("nan"))


def test_local_divergence_is_reported():
    weights = init_weights("mlp-digits", 1)
    wild = TrainConfig(epochs=5, lr=1e30)
    with pytest.raises(TrainingError, match="diverged"):
        train_local("mlp-digits", weights, SHARD, wild, seed=0, model_version=0)


def test_local_training_works_on_synthetic_data():
    data = make_synthetic(600, seed=3, separation=0.5)
    weights = init_weights("logreg-digits", 0)
    update = train_local("logreg-digits", weights, data, CONFIG, seed=1, model_version=0)
    assert update.metrics.accuracy > 0.9
    assert evaluate("logreg-digits", weights, data).accuracy < 0.5


def test_local_with_validation_measures_the_given_weights_first():
    weights = init_weights("mlp-digits", 1)
    update = train_local(
        "mlp-digits", weights, SHARD, CONFIG, seed=4, model_version=2, validation=DATA.test
    )
    plain = train_local("mlp-digits", weights, SHARD, CONFIG, seed=4, model_version=2)
    assert update.delta.tobytes() == plain.delta.tobytes()
    assert update.base_metrics == evaluate("mlp-digits", weights, DATA.test)
    assert update.base_metrics.samples == len(DATA.test)
    assert plain.base_metrics is None
