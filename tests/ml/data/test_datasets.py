import numpy as np
import pytest

from ml.data.datasets import Dataset, load_digits_split, make_synthetic
from ml.errors import DataError


def test_datasets_digits_split_is_fixed_and_disjoint():
    a, b = load_digits_split(), load_digits_split()
    assert (len(a.train), len(a.test)) == (1438, 359)
    assert a.test.x.tobytes() == b.test.x.tobytes()
    assert a.train.y.tobytes() == b.train.y.tobytes()
    rows = {r.tobytes() for r in a.test.x}
    assert sum(r.tobytes() in rows for r in a.train.x) < 5  # the raw data has a few duplicates
    assert a.train.x.dtype == np.float32
    assert a.train.x.min() >= 0.0 and a.train.x.max() <= 1.0
    assert set(np.unique(a.test.y)) == set(range(10))


def test_datasets_synthetic_is_seeded():
    a, b, c = make_synthetic(200, 1), make_synthetic(200, 1), make_synthetic(200, 2)
    assert a.x.tobytes() == b.x.tobytes() and a.y.tobytes() == b.y.tobytes()
    assert a.x.tobytes() != c.x.tobytes()
    assert a.x.shape == (200, 64) and a.num_classes == 10


@pytest.mark.parametrize("kwargs", [{"num_samples": 0}, {"num_classes": 1}, {"separation": 0.0}])
def test_datasets_synthetic_rejects_bad_arguments(kwargs):
    args = {"num_samples": 10, "seed": 0} | kwargs
    with pytest.raises(DataError):
        make_synthetic(**args)


def test_datasets_dataset_rejects_mismatched_arrays_and_labels():
    with pytest.raises(DataError):
        Dataset(np.zeros((3, 2), np.float32), np.zeros(2, np.int64), 2)
    with pytest.raises(DataError):
        Dataset(np.zeros((1, 2), np.float32), np.array([2]), 2)
    with pytest.raises(DataError):
        load_digits_split(1.0)
