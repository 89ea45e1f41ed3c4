"""Real processes, a learning app written here and CSV data split into per-node folders: three
nodes that joined the task reach the target accuracy with identical model hashes; a fourth
node that did not approve the app follows the chain to the same model and never imports the
app (the app appends "pid parent-pid" to a marker file whenever a process imports it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from node.ops.launcher import Cluster, NodeProcess
from tests.node.processes.test_cluster_processes import free_port_base, wait_for

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]
TARGET = 0.9

APP_TOML = """\
name = "churn-mlp"
version = "0.1.0"
entry = "model.py"

[config]
label = "churned"
num_features = 5
num_classes = 3
hidden = 16
optimizer = "adam"
lr = 0.02
local_epochs = 3
batch_size = 16
"""

APP_CODE = """\
import os
from pathlib import Path

from torch import nn

from ml.data.files import load_arrays

with Path({marker!r}).open("a") as marker:
    marker.write(f"{{os.getpid()}} {{os.getppid()}}\\n")


def build_model(config):
    hidden = int(config["hidden"])
    return nn.Sequential(
        nn.Linear(int(config["num_features"]), hidden),
        nn.ReLU(),
        nn.Linear(hidden, int(config["num_classes"])),
    )


def load_data(path, config):
    return load_arrays(path, config)
"""


def deltachain(*args: str) -> str:
    command = [sys.executable, "-m", "node.cli.main", *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_source_csv(path: Path) -> None:
    """Three classes around separated centres in five features, a header row."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 3, 900)
    centres = rng.standard_normal((3, 5)) * 4.0
    features = centres[labels] + rng.standard_normal((900, 5))
    rows = [
        ",".join(f"{v:.4f}" for v in x) + f",{y}" for x, y in zip(features, labels, strict=True)
    ]
    path.write_text("f0,f1,f2,f3,f4,churned\n" + "\n".join(rows) + "\n")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Cluster, Path]]:
    marker = tmp_path / "imported.txt"
    app = tmp_path / "churn-app"
    app.mkdir()
    (app / "app.toml").write_text(APP_TOML)
    (app / "model.py").write_text(textwrap.dedent(APP_CODE.format(marker=str(marker))))
    write_source_csv(tmp_path / "all.csv")
    deltachain("data", "split", str(tmp_path / "all.csv"), "--out", str(tmp_path / "split"),
               "--nodes", "3", "--label", "churned")  # fmt: skip
    data = [f"--data={tmp_path / 'split' / f'node{i}'}" for i in range(3)]
    deltachain(
        "testnet", "create", "--out", str(tmp_path / "net"), "--validators", "4",
        "--app", str(app), *data, "--min-deltas", "3", "--seed", "3",
        "--p2p-base-port", str(free_port_base(5)), "--api-base-port", str(free_port_base(5)),
    )  # fmt: skip
    manifest = json.loads((tmp_path / "net" / "testnet.json").read_text())
    running = Cluster.from_manifest(manifest)
    running.start_all()
    try:
        running.wait_until_serving(120)
        yield running, marker
    finally:
        running.stop_all()


def best_accuracy(node: NodeProcess) -> float:
    models = (node.get("/tasks/1/models") or {}).get("models", [])
    return max((m["accuracy"] or 0.0 for m in models), default=0.0)


def model_hash_at(node: NodeProcess, version: int) -> str | None:
    models = (node.get("/tasks/1/models") or {}).get("models", [])
    return next((m["model_hash"] for m in models if m["version"] == version), None)


def test_app_processes_train_on_private_csv_and_a_follower_never_imports_the_app(
    cluster: tuple[Cluster, Path],
) -> None:
    running, marker = cluster
    trainers, follower = running.nodes[:3], running.nodes[3]
    wait_for(lambda: min(best_accuracy(n) for n in trainers) >= TARGET, 300, "target accuracy")
    version = min(int((n.get("/tasks/1") or {}).get("version", 0)) for n in running.nodes)
    wait_for(lambda: all(model_hash_at(n, version) for n in running.nodes), 60, "same version")
    assert len({model_hash_at(n, version) for n in running.nodes}) == 1
    assert best_accuracy(follower) == 0.0  # it measures nothing: it has no data, runs no app
    importers = {int(p) for line in marker.read_text().split("\n") if line for p in line.split()}
    pids = [n.process.pid for n in running.nodes if n.process is not None]
    assert all(pid in importers for pid in pids[:3]), "each trainer's worker imported the app"
    assert pids[3] not in importers, "the node that did not approve imported the app"
