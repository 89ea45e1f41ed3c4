"""Local training and evaluation on one node's shard (torch, single thread, deterministic).

Given (weights, shard, config, seed, model version) the returned delta is the same bytes on the
same machine: batches come from PCG64(SeedSequence([seed, version])), torch runs with one
thread and deterministic algorithms, and no layer draws random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ml.data.datasets import Dataset
from ml.errors import TrainingError
from ml.models import get_model_spec, validate_weights
from ml.training.config import Metrics, TrainConfig
from ml.training.networks import build_network, get_flat_weights, load_flat_weights
from ml.types import Float32Array


@dataclass(frozen=True, eq=False)
class LocalUpdate:
    """What one node's local training produced: delta = trained - global weights."""

    delta: Float32Array
    num_samples: int
    metrics: Metrics
    base_metrics: Metrics | None = None
    """The given weights' metrics on the node's validation data, when it was given."""


def configure_determinism() -> None:
    """One intra-op thread and deterministic kernels (call once per process)."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def train_local(
    model_id: str,
    weights: Float32Array,
    shard: Dataset,
    config: TrainConfig,
    *,
    seed: int,
    model_version: int,
    validation: Dataset | None = None,
) -> LocalUpdate:
    """Train E epochs of mini-batch SGD from `weights` on `shard` and return the delta; with
    `validation`, the given weights are measured on it first (federated evaluation)."""
    validate_weights(get_model_spec(model_id), weights)
    if len(shard) == 0 or seed < 0 or model_version < 0:
        raise TrainingError("need a non-empty shard, seed >= 0 and model_version >= 0")
    torch.manual_seed(seed)
    module = build_network(model_id)
    load_flat_weights(module, model_id, weights)
    base = None if validation is None else _evaluate_module(module, validation)
    optimizer = torch.optim.SGD(module.parameters(), lr=config.lr, momentum=config.momentum)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, model_version])))
    x, y = torch.from_numpy(shard.x), torch.from_numpy(shard.y)
    module.train()
    for _ in range(config.epochs):
        order = torch.from_numpy(rng.permutation(len(shard)))
        for batch in torch.split(order, config.batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(module(x[batch]), y[batch])
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    trained = get_flat_weights(module)
    if not np.isfinite(trained).all():
        raise TrainingError("training diverged (NaN or Inf weights)")
    delta = (trained - weights).astype(np.float32)
    return LocalUpdate(delta, len(shard), _evaluate_module(module, shard), base)


def evaluate(model_id: str, weights: Float32Array, dataset: Dataset) -> Metrics:
    """Loss and accuracy of `weights` on `dataset`."""
    module = build_network(model_id)
    load_flat_weights(module, model_id, weights)
    return _evaluate_module(module, dataset)


def _evaluate_module(module: nn.Module, dataset: Dataset) -> Metrics:
    if len(dataset) == 0:
        raise TrainingError("cannot evaluate on an empty dataset")
    module.eval()
    with torch.no_grad():
        logits = module(torch.from_numpy(dataset.x))
        labels = torch.from_numpy(dataset.y)
        loss = float(nn.functional.cross_entropy(logits, labels))
        accuracy = float((logits.argmax(dim=1) == labels).double().mean())
    return Metrics(loss, accuracy, len(dataset))
