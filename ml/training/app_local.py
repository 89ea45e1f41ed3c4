"""Local training and evaluation of a learning app (torch, in the training worker).

Defaults, used unless the app defines its own ``train`` / ``evaluate``: SGD (``optimizer =
"sgd"``, ``lr``, ``momentum``) or Adam (``optimizer = "adam"``), cross-entropy, ``local_epochs``
epochs of ``batch_size`` mini-batches drawn from PCG64(SeedSequence([seed, version])), the same
schedule as ``ml.training.local.train_local``; evaluation gives mean loss and accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from ml.errors import AppError, DataError, TrainingError
from ml.layout import Layout, validate_flat
from ml.training.app_data import AppData, DataPart
from ml.training.app_loader import LoadedApp
from ml.training.app_state import get_flat_state, load_flat_state, validate_state_layout
from ml.training.config import Metrics
from ml.training.local import LocalUpdate
from ml.types import Float32Array

EVAL_BATCH = 4096


def build_app_model(app: LoadedApp, config: Mapping[str, Any], layout: Layout) -> nn.Module:
    """The app's model, checked against the task's layout."""
    module = build_module(app, config)
    validate_state_layout(module, layout)
    return module


def build_module(app: LoadedApp, config: Mapping[str, Any]) -> nn.Module:
    """Whatever the app's ``build_model`` builds, if it is a torch module."""
    try:
        module = app.build_model(dict(config))
    except Exception as exc:  # the app's own code
        raise AppError(f"build_model raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(module, nn.Module):
        raise AppError(f"build_model returned {type(module).__name__}, not a torch.nn.Module")
    return module


def train_app(
    app: LoadedApp,
    layout: Layout,
    weights: Float32Array,
    data: AppData,
    config: Mapping[str, Any],
    *,
    seed: int,
    model_version: int,
) -> LocalUpdate:
    """Train from ``weights`` on the node's training part; the delta and validation metrics."""
    validate_flat(layout, weights)
    torch.manual_seed(seed)
    module = build_app_model(app, config, layout)
    load_flat_state(module, layout, weights)
    base = _evaluate(app, module, data.validation, config)
    module.train()
    if app.train is not None:
        app.train(module, data.train.source, dict(config), seed)
    else:
        train_default(module, data.train, config, seed, model_version)
    trained = get_flat_state(module, layout)
    if not np.isfinite(trained).all():
        raise TrainingError("training diverged (NaN or Inf weights)")
    delta = (trained - weights).astype(np.float32)
    after = _evaluate(app, module, data.validation, config)
    return LocalUpdate(delta, data.train.size, after, base)


def evaluate_app(
    app: LoadedApp, layout: Layout, weights: Float32Array, part: DataPart, config: Mapping[str, Any]
) -> Metrics:
    """Loss, accuracy and size of ``weights`` on a data part (the node's validation part)."""
    module = build_app_model(app, config, layout)
    load_flat_state(module, layout, weights)
    return _evaluate(app, module, part, config)


def _evaluate(
    app: LoadedApp, module: nn.Module, part: DataPart, config: Mapping[str, Any]
) -> Metrics:
    module.eval()
    if app.evaluate is None:
        return evaluate_default(module, part)
    result = app.evaluate(module, part.source, dict(config))
    if isinstance(result, Mapping):
        result = (result.get("loss"), result.get("accuracy"))
    try:
        loss, accuracy = (float(v) for v in result)
    except (TypeError, ValueError):
        raise AppError("evaluate must return (loss, accuracy) or {'loss', 'accuracy'}") from None
    return Metrics(loss, accuracy, part.size)


def train_default(
    module: nn.Module, part: DataPart, config: Mapping[str, Any], seed: int, version: int
) -> None:
    """``local_epochs`` epochs of mini-batch SGD or Adam with cross-entropy."""
    epochs, batch_size = int(config.get("local_epochs", 1)), int(config.get("batch_size", 32))
    if epochs < 1 or batch_size < 1:
        raise TrainingError("local_epochs and batch_size must be >= 1")
    optimizer = _make_optimizer(module, config)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, version])))
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(part.size))
        for batch in torch.split(order, batch_size):
            x, y = part.batch(batch)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(_forward(module, x, y), y)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()


def _make_optimizer(module: nn.Module, config: Mapping[str, Any]) -> torch.optim.Optimizer:
    lr = float(config.get("lr", 0.1))
    name = str(config.get("optimizer", "sgd")).lower()
    if name == "adam":
        return torch.optim.Adam(module.parameters(), lr=lr)
    if name == "sgd":
        momentum = float(config.get("momentum", 0.0))
        return torch.optim.SGD(module.parameters(), lr=lr, momentum=momentum)
    raise TrainingError(f"config optimizer must be 'sgd' or 'adam', got {name!r}")


def _forward(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    logits: torch.Tensor = module(x)
    if logits.ndim != 2:
        raise AppError(f"the model's output has shape {tuple(logits.shape)}, not (batch, classes)")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= logits.shape[1]):
        raise DataError(f"labels outside the model's {logits.shape[1]} classes")
    return logits


def evaluate_default(module: nn.Module, part: DataPart) -> Metrics:
    """Mean cross-entropy and accuracy over the part, in fixed batches."""
    if part.size == 0:
        raise TrainingError("cannot evaluate on an empty dataset")
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for batch in torch.split(torch.arange(part.size), EVAL_BATCH):
            x, y = part.batch(batch)
            logits = _forward(module, x, y)
            total_loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(dim=1) == y).sum())
    return Metrics(total_loss / part.size, correct / part.size, part.size)
