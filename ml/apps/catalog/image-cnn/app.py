"""image-cnn: two 3x3 convolutions with max pooling, then a linear classifier.

Every node reads its own image folder with the built-in loader: one folder per class
(`class_name/*.png|jpg`, classes in name order, or in the order of the comma-separated
`classes`), optionally under `train/` and `validation/`. Images are converted to `channels`
(1 grayscale, 3 RGB) and resized to `image_size` x `image_size`; pixels are scaled to [0, 1].
`image_size`, `channels`, `num_classes` and `filters` fix the layout: they belong to the
task's config.
"""

from __future__ import annotations

from torch import nn

from ml.data.files import load_arrays


def build_model(config: dict) -> nn.Module:
    size, channels = int(config["image_size"]), int(config["channels"])
    filters, classes = int(config["filters"]), int(config["num_classes"])
    side = size // 4
    return nn.Sequential(
        nn.Conv2d(channels, filters, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(filters, 2 * filters, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * filters * side * side, classes),
    )


def load_data(path: str, config: dict) -> tuple:
    return load_arrays(path, config)
