"""Opening a task for a learning app: bundle, layout and initial weights into a CreateTask.

The creator runs its own app once (``probe``) to learn the layout and the initial weights;
the chain then carries the app's hash, the layout and its hash, the initial weights' hash and
the config, and every other node fetches the bundle and weights by hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consensus.transactions import TaskApp
from ml.apps.manifest import ConfigValue
from ml.errors import MlError
from ml.layout import Layout, split_flat
from ml.snapshot import decode_weights
from ml.types import Float32Array
from node.chain.task_model import to_layout_tensors
from node.errors import ConfigError
from node.ops.app_source import load_app_source, probe


@dataclass(frozen=True, eq=False)
class AppTask:
    """An app ready to open a task with: bundle, name, layout, initial weights, config."""

    bundle: bytes
    app_hash: bytes
    name: str
    layout: Layout
    weights: Float32Array
    config: Mapping[str, ConfigValue]

    def to_task_app(self) -> TaskApp:
        """What the CreateTask carries about the app."""
        layout_hash = self.layout.layout_hash
        return TaskApp(self.app_hash, layout_hash, to_layout_tensors(self.layout), self.config)


def prepare_app_task(
    source: str,
    config: Mapping[str, ConfigValue],
    init_seed: int = 0,
    init_weights: Path | None = None,
) -> AppTask:
    """Resolve the app (name, directory or bundle), run it once for its layout and initial
    weights (or read them from ``init_weights``: a ``.npz`` of named tensors or a snapshot)."""
    found = load_app_source(source)
    probed = probe(found, config, init_seed)
    weights = probed.weights
    if init_weights is not None:
        weights = read_initial_weights(init_weights, probed.layout)
    bundle = found.bundle
    return AppTask(
        found.data, bundle.app_hash, bundle.manifest.name, probed.layout, weights, config
    )


def read_initial_weights(path: Path, layout: Layout) -> Float32Array:
    """Weights from a ``.npz`` (one array per tensor name, no pickle) or a DCW1 snapshot."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                missing = [n for n in layout.names if n not in archive]
                if missing or len(archive.files) != len(layout.names):
                    raise ConfigError(f"{path} must hold exactly the tensors {layout.names}")
                parts = [np.asarray(archive[n], dtype=np.float32) for n in layout.names]
            if any(p.shape != e.shape for p, e in zip(parts, layout.entries, strict=True)):
                raise ConfigError(f"{path}: a tensor's shape differs from the app's layout")
            weights = np.concatenate([p.ravel() for p in parts]).astype(np.float32)
        else:
            weights = decode_weights(path.read_bytes())
        split_flat(layout, weights)
    except MlError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read initial weights: {exc}") from None
    return weights
