import numpy as np
import pytest

from ml.aggregation.checks import clip_delta, validate_delta, validate_num_samples
from ml.codec.delta import DecodedDelta
from ml.codec.header import CodecKind
from ml.errors import DeltaCheckError
from ml.models import get_model_spec

MODEL = get_model_spec("logreg-digits").layout


def _decoded(model_id="logreg-digits", shapes=MODEL.shapes, size=650, fill=0.0):
    return DecodedDelta(model_id, CodecKind.FLOAT32, shapes, np.full(size, fill, np.float32))


def test_checks_accept_a_matching_finite_delta():
    validate_delta(_decoded(), MODEL)


@pytest.mark.parametrize(
    ("delta", "match"),
    [
        (_decoded(model_id="mlp-digits"), "for 'mlp-digits'"),
        (_decoded(shapes=((650,),)), "shapes"),
        (_decoded(size=649), "values"),
        (_decoded(fill=np.nan), "NaN"),
    ],
)
def test_checks_reject_wrong_model_shape_size_and_nan(delta, match):
    with pytest.raises(DeltaCheckError, match=match):
        validate_delta(delta, MODEL)


def test_checks_clip_scales_long_deltas_to_the_bound_only():
    long, was_clipped = clip_delta(np.array([30.0, 40.0]), 5.0)
    assert was_clipped and long.tolist() == [3.0, 4.0]
    short, was_clipped = clip_delta(np.array([0.3, 0.4]), 5.0)
    assert not was_clipped and short.tolist() == [0.3, 0.4]


@pytest.mark.parametrize("count", [0, -3, True, 2.0, "7", 2**41])
def test_checks_sample_count_must_be_a_positive_int(count):
    with pytest.raises(DeltaCheckError):
        validate_num_samples(count)
