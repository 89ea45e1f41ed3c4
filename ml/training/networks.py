"""Torch modules for the catalog's model ids, loaded from and read back to flat weights.

Parameter names and shapes come from `ml.models`, so the flat layout is the catalog's.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ml.errors import UnknownModelError, WeightsError
from ml.models import ModelSpec, get_model_spec, split_weights
from ml.types import Float32Array


class LogReg(nn.Module):
    """Multinomial logistic regression on 64 pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)  # type: ignore[no-any-return]


class Mlp(nn.Module):
    """One hidden ReLU layer."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(64, hidden)
        self.output = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(torch.relu(self.hidden(x)))  # type: ignore[no-any-return]


class SmallCnn(nn.Module):
    """Two 3x3 conv + 2x2 max-pool blocks on the 8x8 image, then a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.output = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.max_pool2d(torch.relu(self.conv1(x.reshape(-1, 1, 8, 8))), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return self.output(h.flatten(1))  # type: ignore[no-any-return]


def build_network(model_id: str) -> nn.Module:
    """A fresh module for `model_id` (its weights are set with `load_flat_weights`)."""
    spec = get_model_spec(model_id)
    if model_id == "logreg-digits":
        module: nn.Module = LogReg()
    elif model_id == "mlp-digits":
        module = Mlp(64)
    elif model_id == "mlp-wide-digits":
        module = Mlp(spec.params[0].shape[0])
    elif model_id == "cnn-digits":
        module = SmallCnn()
    else:
        raise UnknownModelError(f"no torch module for {model_id!r}")
    _validate_layout(module, spec)
    return module


def _validate_layout(module: nn.Module, spec: ModelSpec) -> None:
    names = [(name, tuple(p.shape)) for name, p in module.named_parameters()]
    if names != [(p.name, p.shape) for p in spec.params]:
        raise WeightsError(f"torch module for {spec.model_id} does not match its layout")


def load_flat_weights(module: nn.Module, model_id: str, flat: Float32Array) -> None:
    """Copy flat catalog-layout weights into `module`'s parameters."""
    views = split_weights(get_model_spec(model_id), flat)
    with torch.no_grad():
        for name, param in module.named_parameters():
            param.copy_(torch.from_numpy(np.ascontiguousarray(views[name])))


def get_flat_weights(module: nn.Module) -> Float32Array:
    """The module's parameters as one flat float32 vector in layout order."""
    parts = [p.detach().cpu().numpy().astype(np.float32).ravel() for p in module.parameters()]
    return np.concatenate(parts)
