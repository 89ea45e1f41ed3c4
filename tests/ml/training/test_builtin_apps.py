"""The image and MNIST built-in apps: deterministic bundles, and one training job each on
generated data (an image folder, an IDX folder) that moves the model and reports its base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.apps.builtins import get_builtin_app_dir, list_builtin_apps
from ml.apps.source import build_app_bundle
from ml.data.idx import write_idx
from ml.training.app_data import make_app_data
from ml.training.app_loader import load_app
from ml.training.app_local import train_app
from ml.training.app_probe import probe_app
from ml.training.local import configure_determinism

NEW_APPS = ("image-cnn", "mnist-cnn", "mnist-mlp")


@pytest.fixture(autouse=True)
def _deterministic_torch() -> None:
    configure_determinism()


def write_image_folder(root: Path, size: int = 16) -> Path:
    rng = np.random.default_rng(3)
    for label in range(3):
        (root / f"class{label}").mkdir(parents=True)
        for i in range(8):
            pixels = rng.integers(0, 64, (size, size), dtype=np.uint8) + 60 * label
            Image.fromarray(pixels.astype(np.uint8), "L").save(root / f"class{label}" / f"{i}.png")
    return root


def write_idx_folder(root: Path) -> Path:
    root.mkdir()
    rng = np.random.default_rng(4)
    for prefix, count in (("train", 64), ("t10k", 16)):
        labels = (np.arange(count) % 10).astype(np.uint8)
        images = rng.integers(0, 40, (count, 28, 28), dtype=np.uint8) + labels[:, None, None] * 20
        write_idx(root / f"{prefix}-images-idx3-ubyte", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_builtin_apps_include_the_image_and_mnist_apps() -> None:
    assert set(NEW_APPS) <= set(list_builtin_apps())


@pytest.mark.parametrize("name", NEW_APPS)
def test_builtin_app_bundle_is_deterministic(name: str) -> None:
    first, first_hash = build_app_bundle(get_builtin_app_dir(name))
    again, again_hash = build_app_bundle(get_builtin_app_dir(name))
    assert first == again and first_hash == again_hash


@pytest.mark.parametrize(
    ("name", "overrides", "make_data"),
    [
        ("image-cnn", {"image_size": 16, "num_classes": 3}, write_image_folder),
        ("mnist-cnn", {}, write_idx_folder),
        ("mnist-mlp", {"hidden": 32}, write_idx_folder),
    ],
)
def test_builtin_app_trains_a_step_on_generated_data(
    tmp_path: Path, name: str, overrides: dict[str, bool | int | float | str], make_data
) -> None:
    bundle, _ = build_app_bundle(get_builtin_app_dir(name))
    probe = probe_app(bundle, overrides)
    app = load_app(bundle, tmp_path / "cache")
    config = {**probe.config, "batch_size": 16}
    data = make_app_data(app.load_data(str(make_data(tmp_path / "data")), config))
    update = train_app(app, probe.layout, probe.weights, data, config, seed=1, model_version=0)
    assert update.delta.shape == probe.weights.shape and np.isfinite(update.delta).all()
    assert np.abs(update.delta).max() > 0
    assert update.base_metrics is not None and update.base_metrics.samples == data.validation.size
