import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml.errors import WeightsError
from ml.models import init_weights
from ml.snapshot import compute_model_hash, decode_weights, encode_weights


def test_snapshot_round_trip_and_hash_is_sha256_of_bytes():
    weights = init_weights("mlp-digits", 1)
    blob = encode_weights(weights)
    assert decode_weights(blob).tobytes() == weights.tobytes()
    assert compute_model_hash(weights) == hashlib.sha256(blob).digest()
    assert len(compute_model_hash(weights)) == 32


def test_snapshot_hash_changes_with_any_weight():
    weights = init_weights("logreg-digits", 1)
    other = weights.copy()
    other[100] = np.nextafter(other[100], np.float32(1))
    assert compute_model_hash(weights) != compute_model_hash(other)


@given(st.binary(max_size=64))
def test_snapshot_random_bytes_raise_weights_error(data):
    with pytest.raises(WeightsError):
        decode_weights(b"DCW1" + data if len(data) % 2 else data)


def test_snapshot_rejects_truncation_nan_and_oversize():
    blob = encode_weights(np.ones(4, np.float32))
    with pytest.raises(WeightsError, match="length"):
        decode_weights(blob[:-1])
    nan_blob = blob[:-4] + np.float32(np.nan).tobytes()
    with pytest.raises(WeightsError, match="NaN"):
        decode_weights(nan_blob)
    with pytest.raises(WeightsError, match="limit"):
        decode_weights(blob, max_params=3)
    with pytest.raises(WeightsError, match="NaN"):
        encode_weights(np.array([np.nan], np.float32))
