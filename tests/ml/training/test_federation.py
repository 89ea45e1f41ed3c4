import pytest

from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import CodecConfig
from ml.data.datasets import load_digits_split
from ml.privacy.accountant import RdpAccountant
from ml.privacy.mechanism import DpConfig
from ml.training.config import TrainConfig
from ml.training.federation import FederationConfig, compute_mean_accuracy, run_federation
from ml.training.local import configure_determinism

DATA = load_digits_split()
TRAIN = TrainConfig(epochs=5, batch_size=16, lr=0.05, momentum=0.9)


def _spec(rule: str, **params: float) -> AggregationSpec:
    return AggregationSpec.from_dict(
        {"model_id": "mlp-digits", "rule": rule, "clip_norm": 5.0, **params}
    )


@pytest.fixture(autouse=True)
def _deterministic_torch():
    configure_determinism()


def test_federation_fedavg_learns_digits_in_a_few_rounds():
    config = FederationConfig(spec=_spec("fedavg"), rounds=8, train=TRAIN)
    report = run_federation(config, DATA)
    assert report.accuracies[-1] > 0.9
    assert report.rounds_to(0.9) is not None
    assert report.mean_delta_bytes > 4 * 4810


def test_federation_runs_are_reproducible():
    config = FederationConfig(
        spec=_spec("krum", f=2), rounds=3, train=TRAIN, attack="alie", num_attackers=2
    )
    assert run_federation(config, DATA) == run_federation(config, DATA)


def test_federation_krum_never_picks_label_flippers():
    config = FederationConfig(
        spec=_spec("krum", f=3),
        rounds=4,
        train=TRAIN,
        attack="label_flip",
        num_attackers=3,
        codec=CodecConfig("topk", 0.1),
    )
    report = run_federation(config, DATA)
    assert report.attacker_acceptance == 0.0
    assert report.mean_delta_bytes < 0.25 * 4 * 4810


def test_federation_with_dp_tracks_epsilon_per_round():
    dp = DpConfig(clip_norm=1.0, noise_multiplier=2.0)
    report = run_federation(
        FederationConfig(spec=_spec("fedavg"), rounds=3, train=TRAIN, dp=dp), DATA
    )
    expected = RdpAccountant().record_gaussian(1.0, steps=3).get_epsilon(dp.target_delta)
    assert report.epsilon == expected
    noiseless = run_federation(FederationConfig(spec=_spec("fedavg"), rounds=3, train=TRAIN), DATA)
    assert report.accuracies != noiseless.accuracies


@pytest.mark.slow
def test_federation_reaches_95_percent_within_30_rounds_iid():
    report = run_federation(FederationConfig(spec=_spec("fedavg"), rounds=30, train=TRAIN), DATA)
    rounds = report.rounds_to(0.95)
    assert rounds is not None and rounds <= 30


@pytest.mark.slow
def test_federation_median_holds_within_two_points_under_label_flipping():
    clean = run_federation(FederationConfig(spec=_spec("median"), train=TRAIN), DATA)
    attacked = FederationConfig(
        spec=_spec("median"), train=TRAIN, attack="label_flip", num_attackers=3
    )
    report = run_federation(attacked, DATA)
    assert compute_mean_accuracy(report) >= compute_mean_accuracy(clean) - 0.02
