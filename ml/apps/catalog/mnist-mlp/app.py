"""mnist-mlp: 784 pixels -> `hidden` ReLU units -> 10 digits.

Every node reads its own MNIST folder: `train-images-idx3-ubyte` / `train-labels-idx1-ubyte`
(its share, e.g. from `deltachain data split`) and `t10k-images-idx3-ubyte` /
`t10k-labels-idx1-ubyte` as its validation part (`deltachain data fetch mnist` writes all
four); without the t10k files the node splits off its own validation part.
"""

from __future__ import annotations

from torch import nn

from ml.data.files import load_arrays


def build_model(config: dict) -> nn.Module:
    hidden = int(config["hidden"])
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, hidden),
        nn.ReLU(),
        nn.Linear(hidden, int(config["num_classes"])),
    )


def load_data(path: str, config: dict) -> tuple:
    return load_arrays(path, config)
