import numpy as np
import pytest

from ml.errors import PrivacyError
from ml.privacy.accountant import RdpAccountant
from ml.privacy.mechanism import DpConfig, privatize_delta


def test_mechanism_clips_then_adds_noise_of_the_configured_scale():
    config = DpConfig(clip_norm=2.0, noise_multiplier=0.5)
    values = np.zeros(200_000, np.float32)
    values[0] = 1000.0  # clipped to norm 2
    noisy, _ = privatize_delta(values, config, RdpAccountant(), np.random.default_rng(0))
    noise = noisy.astype(np.float64)
    noise[0] -= 2.0
    assert noise.std() == pytest.approx(1.0, rel=0.01)
    assert abs(noise.mean()) < 0.01
    assert noisy.dtype == np.float32


def test_mechanism_records_each_release_at_half_the_multiplier():
    config = DpConfig(clip_norm=1.0, noise_multiplier=2.0)
    accountant = RdpAccountant()
    rng = np.random.default_rng(1)
    for _ in range(3):
        _, accountant = privatize_delta(np.ones(10, np.float32), config, accountant, rng)
    assert accountant.rdp == RdpAccountant().record_gaussian(1.0, steps=3).rdp


def test_mechanism_noise_differs_between_generators():
    config = DpConfig(clip_norm=1.0, noise_multiplier=1.0)
    a, _ = privatize_delta(
        np.ones(8, np.float32), config, RdpAccountant(), np.random.default_rng(1)
    )
    b, _ = privatize_delta(
        np.ones(8, np.float32), config, RdpAccountant(), np.random.default_rng(2)
    )
    assert a.tobytes() != b.tobytes()


def test_mechanism_rejects_bad_config_and_inputs():
    with pytest.raises(PrivacyError):
        DpConfig(clip_norm=0.0, noise_multiplier=1.0)
    with pytest.raises(PrivacyError):
        DpConfig(clip_norm=1.0, noise_multiplier=1.0, target_delta=1.0)
    config = DpConfig(clip_norm=1.0, noise_multiplier=1.0)
    with pytest.raises(PrivacyError):
        privatize_delta(
            np.array([np.nan], np.float32), config, RdpAccountant(), np.random.default_rng()
        )
