import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ml.aggregation.numerics import compute_l2_norm, compute_sequential_sum, compute_tree_sum

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(hnp.arrays(np.float64, st.integers(0, 300), elements=finite))
def test_numerics_tree_sum_is_close_to_exact_sum(values):
    assert math.isclose(float(compute_tree_sum(values)), math.fsum(values), abs_tol=1e-6)


def test_numerics_tree_sum_of_rows_matches_row_by_row():
    rows = np.random.default_rng(0).standard_normal((4, 1001))
    together = compute_tree_sum(rows)
    one_by_one = [float(compute_tree_sum(r)) for r in rows]
    assert together.tolist() == one_by_one


def test_numerics_tree_sum_has_a_fixed_pairing():
    # ((1e16 + 1) + (-1e16 + 1)) pairs as written; a left-to-right sum would give 1.0
    values = np.array([1e16, 1.0, -1e16, 1.0])
    assert float(compute_tree_sum(values)) == float((1e16 + 1.0) + (-1e16 + 1.0))


def test_numerics_l2_norm_and_weighted_sequential_sum():
    assert compute_l2_norm(np.array([3.0, 4.0])) == 5.0
    rows = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert compute_sequential_sum(rows).tolist() == [4.0, 6.0]
    assert compute_sequential_sum(rows, np.array([0.5, 2.0])).tolist() == [6.5, 9.0]
