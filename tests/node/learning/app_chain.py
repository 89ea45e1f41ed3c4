"""A learning app written by the test (it leaves a marker file when imported) and a chain
whose tasks run it, built without importing the app: the layout and the initial weights are
written down by hand, as a task creator's probe would have found them."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np

from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisTask
from consensus.transactions import CreateTask
from ml.apps.bundle import compute_app_hash, write_bundle
from ml.layout import LayoutEntry, make_layout
from node.ops.app_task import AppTask
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task

LAYOUT = make_layout((LayoutEntry("0.weight", (2, 3)), LayoutEntry("0.bias", (2,))))

APP_CODE = """
    import os
    from pathlib import Path

    from torch import nn

    from ml.data.files import load_arrays

    with Path({marker!r}).open("a") as marker:  # proof of import, one line per process
        marker.write(f"{{os.getpid()}} {{os.getppid()}}\\n")


    def build_model(config):
        return nn.Sequential(nn.Linear(3, 2))


    def load_data(path, config):
        return load_arrays(path, config)
"""


def make_marker_bundle(marker: Path, name: str = "marker-app") -> bytes:
    """A bundle of the marker app: 3 features, 2 classes, the built-in CSV loader."""
    manifest = f'name = "{name}"\nversion = "1"\nentry = "app.py"\n[config]\nlr = 0.5\n'
    code = textwrap.dedent(APP_CODE.format(marker=str(marker)))
    return write_bundle({"app.toml": manifest.encode(), "app.py": code.encode()})


def make_app_task(bundle: bytes, name: str = "marker-app") -> AppTask:
    weights = np.zeros(LAYOUT.num_params, dtype=np.float32)
    return AppTask(bundle, compute_app_hash(bundle), name, LAYOUT, weights, {"local_epochs": 2})


def make_app_genesis(
    keys: list[KeyPair], apps: list[AppTask], chain_id: str, min_deltas: int
) -> tuple[Genesis, list[CreateTask], list[bytes]]:
    """A genesis with one task per app (ids from 1), and each task's initial snapshot."""
    tasks, snapshots = [], []
    for app in apps:
        options = TestnetOptions(
            validators=len(keys),
            chain_id=chain_id,
            task=TaskOptions(app.name, min_deltas=min_deltas, max_staleness=4, app=app),
        )
        task, snapshot = build_task(options)
        tasks.append(task)
        snapshots.append(snapshot)
    genesis = build_genesis(TestnetOptions(validators=len(keys), chain_id=chain_id), keys, tasks[0])
    genesis = dataclasses.replace(
        genesis, tasks=tuple(GenesisTask(keys[0].address, t) for t in tasks)
    )
    return genesis, tasks, snapshots


def write_csv(folder: Path, rows: int, seed: int) -> Path:
    """Two separable classes in three features."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, rows)
    features = rng.standard_normal((rows, 3)) + 3.0 * labels[:, None]
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["a,b,c,label"] + [
        ",".join(f"{v:.5f}" for v in x) + f",{y}" for x, y in zip(features, labels, strict=True)
    ]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    return folder
