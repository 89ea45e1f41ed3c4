"""digits-mlp: 64 pixels -> hidden ReLU layer -> 10 classes (the catalog's mlp-digits).

The initial weights are the catalog's seeded draw, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from
PCG64(init_seed) in layout order, so a task of this app starts where mlp-digits starts. Data: a
node's folder of .npz files (x: N x 64 in [0, 1], y: labels), e.g. written by
`deltachain testnet create` from the bundled digits.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ml.data.files import load_arrays


class Mlp(nn.Module):
    """One hidden ReLU layer."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(64, hidden)
        self.output = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(torch.relu(self.hidden(x)))


def build_model(config: dict) -> nn.Module:
    model = Mlp(int(config["hidden"]))
    rng = np.random.Generator(np.random.PCG64(int(config["init_seed"])))
    with torch.no_grad():
        for layer in (model.hidden, model.output):
            fan_in = layer.in_features
            for param in (layer.weight, layer.bias):
                draw = rng.uniform(-1.0, 1.0, param.numel()) / math.sqrt(fan_in)
                param.copy_(torch.from_numpy(draw.astype(np.float32)).reshape(param.shape))
    return model


def load_data(path: str, config: dict) -> tuple:
    return load_arrays(path, config)
