import numpy as np
import pytest

from ml.data.datasets import load_digits_split
from ml.data.partition import (
    ShardSpec,
    compute_partition,
    compute_shard,
    partition_dirichlet,
    partition_iid,
)
from ml.errors import DataError

TRAIN = load_digits_split().train


def _covers_exactly_once(parts, total):
    joined = np.concatenate(parts)
    return len(joined) == total and set(joined.tolist()) == set(range(total))


def test_partition_iid_covers_every_sample_once_in_near_equal_parts():
    parts = partition_iid(1437, 10, seed=3)
    assert _covers_exactly_once(parts, 1437)
    assert {len(p) for p in parts} == {143, 144}
    again = partition_iid(1437, 10, 3)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(parts, again, strict=True))


def test_partition_dirichlet_covers_every_sample_once_and_is_seeded():
    parts = partition_dirichlet(TRAIN.y, 10, alpha=0.5, seed=4)
    assert _covers_exactly_once(parts, len(TRAIN))
    again = partition_dirichlet(TRAIN.y, 10, alpha=0.5, seed=4)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(parts, again, strict=True))
    assert min(len(p) for p in parts) >= 10


def test_partition_dirichlet_small_alpha_skews_labels():
    def mean_classes(parts):
        return np.mean([len(np.unique(TRAIN.y[p])) for p in parts])

    skewed = partition_dirichlet(TRAIN.y, 10, alpha=0.1, seed=1, min_samples=1)
    iid = partition_iid(len(TRAIN), 10, seed=1)
    assert mean_classes(iid) == 10
    assert mean_classes(skewed) < 6


def test_partition_shard_is_the_nodes_part():
    spec = ShardSpec("dirichlet", 10, 7, seed=2, alpha=0.5)
    shard = compute_shard(TRAIN, spec)
    indices = compute_partition(TRAIN, spec)[7]
    assert shard.y.tobytes() == TRAIN.y[indices].tobytes()
    assert compute_shard(TRAIN, spec).x.tobytes() == shard.x.tobytes()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scheme": "zipf"},
        {"node_index": 10},
        {"node_index": -1},
        {"alpha": 0.0},
        {"seed": -1},
    ],
)
def test_partition_shard_spec_rejects_bad_arguments(kwargs):
    args = {"scheme": "iid", "num_nodes": 10, "node_index": 0, "seed": 0} | kwargs
    with pytest.raises(DataError):
        ShardSpec(**args)


def test_partition_impossible_splits_raise():
    with pytest.raises(DataError):
        partition_iid(5, 10, 0)
    with pytest.raises(DataError):
        partition_dirichlet(TRAIN.y[:50], 10, 0.5, 0, min_samples=10)
