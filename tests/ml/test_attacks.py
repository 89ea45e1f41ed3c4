import numpy as np
import pytest

from ml.attacks import compute_alie_z, flip_labels, flip_sign, little_is_enough, scale_update
from ml.data.datasets import Dataset
from ml.errors import AttackError


def test_attacks_flip_labels_mirrors_classes():
    data = Dataset(np.zeros((3, 2), np.float32), np.array([0, 4, 9]), 10)
    assert flip_labels(data).y.tolist() == [9, 5, 0]
    assert flip_labels(data).x is data.x


def test_attacks_sign_flip_and_scaling():
    delta = np.array([1.0, -2.0], np.float32)
    assert flip_sign(delta).tolist() == [-1.0, 2.0]
    assert flip_sign(delta, scale=3.0).tolist() == [-3.0, 6.0]
    assert scale_update(delta, 10.0).tolist() == [10.0, -20.0]
    with pytest.raises(AttackError):
        scale_update(delta, float("inf"))


def test_attacks_alie_z_follows_baruch_et_al():
    # n = 10, f = 2: s = 6 - 2 = 4, z = Phi^-1(0.6)
    assert compute_alie_z(10, 2) == pytest.approx(0.2533471, abs=1e-6)
    # n = 50, f = 12 (the paper's setting): s = 14, z = Phi^-1(36 / 50)
    assert compute_alie_z(50, 12) == pytest.approx(0.5828415, abs=1e-6)
    with pytest.raises(AttackError):
        compute_alie_z(10, 0)


def test_attacks_little_is_enough_is_mean_minus_z_std():
    honest = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, 6.0]], np.float32)
    z = compute_alie_z(5, 2)
    expected = honest.mean(axis=0) - z * honest.std(axis=0)
    np.testing.assert_allclose(little_is_enough(honest, 5, 2), expected, rtol=1e-6)
    with pytest.raises(AttackError):
        little_is_enough(honest[:1], 5, 2)
