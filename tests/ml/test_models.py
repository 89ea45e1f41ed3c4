import numpy as np
import pytest

from ml.errors import UnknownModelError, WeightsError
from ml.models import get_model_spec, init_weights, list_model_ids, split_weights, validate_weights


def test_models_catalog_lists_the_digits_models():
    assert {"logreg-digits", "mlp-digits", "cnn-digits", "mlp-wide-digits"} <= set(list_model_ids())
    assert get_model_spec("logreg-digits").num_params == 64 * 10 + 10
    assert get_model_spec("mlp-digits").num_params == 64 * 64 + 64 + 64 * 10 + 10


def test_models_unknown_id_raises():
    with pytest.raises(UnknownModelError, match="resnet"):
        get_model_spec("resnet-50")


@pytest.mark.parametrize("model_id", ["logreg-digits", "mlp-digits", "cnn-digits"])
def test_models_init_is_deterministic_and_seed_dependent(model_id):
    a, b, c = init_weights(model_id, 5), init_weights(model_id, 5), init_weights(model_id, 6)
    assert a.dtype == np.float32
    assert a.shape == (get_model_spec(model_id).num_params,)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_models_init_respects_fan_in_bound():
    spec = get_model_spec("cnn-digits")
    parts = split_weights(spec, init_weights("cnn-digits", 0))
    for param in spec.params:
        bound = 1 / np.sqrt(param.fan_in)
        assert np.abs(parts[param.name]).max() <= bound
        assert np.abs(parts[param.name]).max() > 0.5 * bound


def test_models_split_weights_views_follow_the_layout_order():
    spec = get_model_spec("mlp-digits")
    flat = np.arange(spec.num_params, dtype=np.float32)
    parts = split_weights(spec, flat)
    assert list(parts) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert parts["hidden.bias"][0] == 64 * 64
    assert parts["output.weight"].shape == (10, 64)


@pytest.mark.parametrize(
    "weights",
    [np.zeros(650, np.float64), np.zeros(649, np.float32), np.full(650, np.inf, np.float32)],
)
def test_models_validate_weights_rejects_bad_vectors(weights):
    with pytest.raises(WeightsError):
        validate_weights(get_model_spec("logreg-digits"), weights)
