"""What a task creator learns by running its own app once: the layout and initial weights.

This imports the app, so it runs only where its author (or an approving operator) asked for
it: ``app build``, ``task create``, ``testnet create``; never on a node that merely validates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from ml.apps.manifest import ConfigValue, merge_config
from ml.layout import Layout
from ml.training.app_loader import load_app
from ml.training.app_local import build_module
from ml.training.app_state import compute_state_layout, get_flat_state
from ml.types import Float32Array


@dataclass(frozen=True, eq=False)
class AppProbe:
    """The app's layout and its initial weights under ``init_seed``."""

    layout: Layout
    weights: Float32Array
    config: Mapping[str, ConfigValue]


def probe_app(bundle: bytes, overrides: Mapping[str, ConfigValue], init_seed: int = 0) -> AppProbe:
    """Import the app, build its model with torch seeded by ``init_seed``, read its state."""
    with tempfile.TemporaryDirectory(prefix="deltachain-app-") as cache:
        app = load_app(bundle, Path(cache))
        config = merge_config(app.manifest.config, overrides)
        torch.manual_seed(init_seed)
        module = build_module(app, config)
        layout = compute_state_layout(module)
        return AppProbe(layout, get_flat_state(module, layout), config)
