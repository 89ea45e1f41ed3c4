import numpy as np
import pytest

from ml.aggregation.rules import (
    aggregate_fedavg,
    aggregate_krum,
    aggregate_median,
    aggregate_multi_krum,
    aggregate_trimmed_mean,
    compute_krum_scores,
)
from ml.errors import InsufficientDeltasError


def _honest_and_outliers(num_honest=7, num_bad=2, size=50, seed=0):
    rng = np.random.default_rng(seed)
    honest = 1.0 + 0.1 * rng.standard_normal((num_honest, size))
    bad = -20.0 + rng.standard_normal((num_bad, size))
    return np.vstack([bad, honest])


def test_rules_fedavg_is_sample_weighted():
    rows = np.array([[0.0, 10.0], [4.0, 2.0]])
    outcome = aggregate_fedavg(rows, np.array([1, 3]))
    assert outcome.aggregate.tolist() == [3.0, 4.0]
    assert outcome.accepted == (0, 1)


def test_rules_median_odd_and_even_counts():
    odd = np.array([[5.0, -1.0], [1.0, 7.0], [3.0, 2.0]])
    assert aggregate_median(odd).aggregate.tolist() == [3.0, 2.0]
    even = np.array([[5.0], [1.0], [3.0], [100.0]])
    assert aggregate_median(even).aggregate.tolist() == [4.0]


def test_rules_trimmed_mean_drops_both_tails():
    rows = np.array([[-100.0], [1.0], [2.0], [3.0], [100.0]])
    assert aggregate_trimmed_mean(rows, beta=0.2).aggregate.tolist() == [2.0]
    assert aggregate_trimmed_mean(rows, beta=0.0).aggregate.tolist() == [1.2]


def test_rules_median_and_trimmed_mean_resist_outliers():
    rows = _honest_and_outliers()
    assert np.abs(aggregate_median(rows).aggregate - 1.0).max() < 0.2
    assert np.abs(aggregate_trimmed_mean(rows, 0.25).aggregate - 1.0).max() < 0.2
    assert np.abs(aggregate_fedavg(rows, np.ones(9, np.int64)).aggregate - 1.0).min() > 3.0


def test_rules_krum_picks_an_honest_delta():
    rows = _honest_and_outliers()
    outcome = aggregate_krum(rows, f=2)
    assert len(outcome.accepted) == 1 and outcome.accepted[0] >= 2
    assert outcome.aggregate.tolist() == rows[outcome.accepted[0]].tolist()


def test_rules_krum_scores_sum_nearest_squared_distances():
    rows = np.array([[0.0], [1.0], [3.0], [10.0], [11.0]])
    # n - f - 2 = 2 nearest: row 0 -> 1 + 9, row 1 -> 1 + 4, row 3 (value 10) -> 1 + 49
    scores = compute_krum_scores(rows, f=1)
    assert scores.tolist() == [10.0, 5.0, 13.0, 50.0, 65.0]


def test_rules_multi_krum_averages_the_m_best_in_canonical_order():
    rows = _honest_and_outliers()
    outcome = aggregate_multi_krum(rows, f=2, m=5)
    assert len(outcome.accepted) == 5
    assert outcome.accepted == tuple(sorted(outcome.accepted))
    assert min(outcome.accepted) >= 2
    expected = sum(rows[i] for i in outcome.accepted) / 5
    np.testing.assert_allclose(outcome.aggregate, expected, rtol=1e-12)


def test_rules_krum_ties_go_to_the_earliest_row():
    rows = np.zeros((5, 3))
    assert aggregate_krum(rows, f=1).accepted == (0,)
    assert aggregate_multi_krum(rows, f=1, m=2).accepted == (0, 1)


@pytest.mark.parametrize(
    ("call", "rows"),
    [
        (lambda r: aggregate_krum(r, f=2), 6),
        (lambda r: aggregate_multi_krum(r, f=1, m=6), 5),
        (aggregate_median, 0),
    ],
)
def test_rules_too_few_rows_raise(call, rows):
    with pytest.raises(InsufficientDeltasError):
        call(np.zeros((rows, 4)))
