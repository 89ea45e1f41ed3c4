import numpy as np
import pytest
import torch

from ml.errors import UnknownModelError
from ml.models import get_model_spec, init_weights
from ml.training.networks import build_network, get_flat_weights, load_flat_weights


@pytest.mark.parametrize("model_id", ["logreg-digits", "mlp-digits", "cnn-digits"])
def test_networks_flat_weights_round_trip_through_torch(model_id):
    module = build_network(model_id)
    weights = init_weights(model_id, 9)
    load_flat_weights(module, model_id, weights)
    assert get_flat_weights(module).tobytes() == weights.tobytes()
    names = [name for name, _ in module.named_parameters()]
    assert names == [p.name for p in get_model_spec(model_id).params]


@pytest.mark.parametrize("model_id", ["logreg-digits", "mlp-digits", "cnn-digits"])
def test_networks_map_a_batch_of_flat_images_to_ten_logits(model_id):
    module = build_network(model_id)
    load_flat_weights(module, model_id, init_weights(model_id, 0))
    logits = module(torch.zeros((5, 64)))
    assert tuple(logits.shape) == (5, 10)


def test_networks_weights_set_in_one_parameter_land_in_that_parameter():
    module = build_network("logreg-digits")
    weights = np.zeros(650, np.float32)
    weights[640] = 7.0  # first entry of linear.bias
    load_flat_weights(module, "logreg-digits", weights)
    params = dict(module.named_parameters())
    assert params["linear.bias"].detach()[0].item() == 7.0
    assert params["linear.weight"].detach().abs().sum().item() == 0.0


def test_networks_unknown_model_raises():
    with pytest.raises(UnknownModelError):
        build_network("vit")
