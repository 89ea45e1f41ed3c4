"""tabular-mlp: numeric features -> hidden ReLU layer -> classes.

Every node reads its own data path with the built-in loader: CSV files with a header row (the
`label` column holds integer classes 0..num_classes-1, every other column a number) or NPZ files
(arrays x and y). The node splits off its own validation part and standardises the features
with its own training part's mean and deviation. `num_features` and `num_classes` fix the
model's layout, so they belong to the task's config.
"""

from __future__ import annotations

from torch import nn

from ml.data.files import load_arrays


def build_model(config: dict) -> nn.Module:
    hidden = int(config["hidden"])
    return nn.Sequential(
        nn.Linear(int(config["num_features"]), hidden),
        nn.ReLU(),
        nn.Linear(hidden, int(config["num_classes"])),
    )


def load_data(path: str, config: dict) -> tuple:
    return load_arrays(path, config)


# Optional: define train(model, train_data, config, seed) and evaluate(model, data, config)
# to replace the defaults (SGD or Adam with cross-entropy; loss and accuracy).
