"""mnist-cnn: two 3x3 convolutions with max pooling on 28x28 digits, then a linear layer.

Every node reads its own MNIST folder: `train-images-idx3-ubyte` / `train-labels-idx1-ubyte`
(its share, e.g. from `deltachain data split`) and `t10k-images-idx3-ubyte` /
`t10k-labels-idx1-ubyte` as its validation part (`deltachain data fetch mnist` writes all
four); without the t10k files the node splits off its own validation part.
"""

from __future__ import annotations

from torch import nn

from ml.data.files import load_arrays


def build_model(config: dict) -> nn.Module:
    filters = int(config["filters"])
    return nn.Sequential(
        nn.Conv2d(1, filters, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(filters, 2 * filters, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * filters * 7 * 7, int(config["num_classes"])),
    )


def load_data(path: str, config: dict) -> tuple:
    return load_arrays(path, config)
