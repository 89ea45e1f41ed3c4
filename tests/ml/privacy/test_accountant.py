import math

import pytest

from ml.errors import PrivacyError
from ml.privacy.accountant import RdpAccountant


def test_accountant_single_order_matches_the_closed_form():
    # one order alpha = 2, sigma/Delta = 1, 3 steps: rdp = 3 * 2 / 2 = 3
    accountant = RdpAccountant(orders=(2.0,)).record_gaussian(1.0, steps=3)
    assert accountant.rdp == (3.0,)
    delta = 1e-5
    expected = 3.0 + math.log(0.5) - (math.log(delta) + math.log(2.0))
    assert accountant.get_epsilon(delta) == pytest.approx(expected)


def test_accountant_composition_adds_and_more_noise_costs_less():
    once = RdpAccountant().record_gaussian(2.0)
    twice = once.record_gaussian(2.0)
    assert twice.rdp == RdpAccountant().record_gaussian(2.0, steps=2).rdp
    assert twice.get_epsilon(1e-5) > once.get_epsilon(1e-5)
    quiet = RdpAccountant().record_gaussian(8.0)
    assert quiet.get_epsilon(1e-5) < once.get_epsilon(1e-5)


def test_accountant_beats_the_classic_gaussian_bound_for_one_release():
    sigma, delta = 5.0, 1e-5
    classic = math.sqrt(2 * math.log(1.25 / delta)) / sigma
    eps = RdpAccountant().record_gaussian(sigma).get_epsilon(delta)
    assert 0.5 * classic < eps < classic


def test_accountant_starts_at_zero_cost():
    assert RdpAccountant().get_epsilon(1e-5) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: RdpAccountant(orders=(1.0, 2.0)),
        lambda: RdpAccountant().record_gaussian(0.0),
        lambda: RdpAccountant().record_gaussian(1.0, steps=-1),
        lambda: RdpAccountant().get_epsilon(0.0),
        lambda: RdpAccountant(orders=(2.0,), rdp=(1.0, 2.0)),
    ],
)
def test_accountant_rejects_bad_parameters(call):
    with pytest.raises(PrivacyError):
        call()
