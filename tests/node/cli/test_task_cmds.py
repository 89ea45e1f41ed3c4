"""``deltachain task list | join | create`` against a served one-validator node whose genesis
opens an app task: join records the approval in config.toml, create opens a second task."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from consensus.ledger.devnet import make_keys
from node.chain.chain_node import ChainNode
from node.cli.common import ExitCode
from node.cli.main import app
from node.network.memory import MemoryHub
from node.ops.config import NodeConfig, load_config, render_config
from node.ops.keys import create_key_file
from node.storage.blobs import BlobStore
from tests.node.api.cluster import ServedNode
from tests.node.chain.test_chain_node import make_node
from tests.node.learning.app_chain import make_app_genesis, make_app_task, make_marker_bundle

runner = CliRunner()
KEYS = list(make_keys(1, namespace=97))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedNode, Path, str]]:
    root = tmp_path_factory.mktemp("taskcli")
    marker_app = make_app_task(make_marker_bundle(root / "imported.txt"))
    genesis, _, snapshots = make_app_genesis(KEYS, [marker_app], "taskcli", min_deltas=1)
    home = root / "home"
    home.mkdir()
    (home / "config.toml").write_text(render_config(NodeConfig(home=home)))
    create_key_file(home / "node_key.json", KEYS[0].seed)

    def make(data_dir: Path) -> ChainNode:
        blobs = BlobStore(data_dir / "blobs")
        blobs.put(snapshots[0])
        blobs.put(marker_app.bundle)
        return make_node(MemoryHub(), KEYS[0], data_dir, KEYS, genesis)

    with ServedNode(root / "served", make=make) as node:
        yield node, home, marker_app.app_hash.hex()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def list_tasks(node: ServedNode, home: Path) -> list[dict[str, object]]:
    code, out = invoke("task", "list", "--api", node.url, "--home", str(home), "--json")
    assert code == ExitCode.OK, out
    tasks: list[dict[str, object]] = json.loads(out)["tasks"]
    return tasks


def test_task_join_shows_the_bundle_and_records_the_approval(
    served: tuple[ServedNode, Path, str], tmp_path: Path
) -> None:
    node, home, app_hash = served
    [task] = list_tasks(node, home)
    assert (task["app"], task["app_hash"], task["trains"]) == ("marker-app", app_hash, False)
    code, out = invoke(
        "task", "join", "1", "--home", str(home), "--data", str(tmp_path),
        "--api", node.url, "--yes",
    )  # fmt: skip
    assert code == ExitCode.OK, out
    assert app_hash in out and "app.py" in out and "app.toml" in out
    joined = load_config(home).tasks
    assert [(j.task_id, j.app_hash.hex(), j.data) for j in joined] == [
        (1, app_hash, str(tmp_path.resolve()))
    ]
    assert list_tasks(node, home)[0]["trains"] is True
    assert not (tmp_path / "imported.txt").exists()


def test_model_export_names_an_app_tasks_tensors(
    served: tuple[ServedNode, Path, str], tmp_path: Path
) -> None:
    node, _, _ = served
    out = tmp_path / "m.npz"
    code, text = invoke("model", "export", "--task", "1", "--version", "0", "--out", str(out),
                        "--api", node.url)  # fmt: skip
    assert code == ExitCode.OK, text
    with np.load(out) as tensors:
        assert {k: tensors[k].shape for k in tensors.files} == {"0.weight": (2, 3), "0.bias": (2,)}


def test_task_join_refusals(served: tuple[ServedNode, Path, str], tmp_path: Path) -> None:
    node, home, _ = served
    base = ("task", "join", "1", "--home", str(home), "--api", node.url)
    code, out = invoke(*base, "--data", str(tmp_path / "missing"), "--yes")
    assert code == ExitCode.USAGE and "does not exist" in out
    result = runner.invoke(app, [*base, "--data", str(tmp_path)], input="n\n")
    assert result.exit_code == ExitCode.FAILURE and "not approved" in result.output
    code, out = invoke("task", "join", "9", "--home", str(home), "--api", node.url,
                       "--data", str(tmp_path), "--yes")  # fmt: skip
    assert code == ExitCode.FAILURE


def test_task_create_opens_an_app_task(served: tuple[ServedNode, Path, str]) -> None:
    node, home, _ = served
    code, out = invoke(
        "task", "create", "--app", "tabular-mlp", "--min-deltas", "1", "--reward", "5",
        "--reward-pool", "100", "--config", "num_features=6", "--home", str(home),
        "--api", node.url, "--wait", "--wait-timeout", "60",
    )  # fmt: skip
    assert code == ExitCode.OK, out
    tasks = list_tasks(node, home)
    assert [t["app"] for t in tasks] == ["marker-app", "tabular-mlp"]
    created = node_task(node, 2)
    assert created["spec"]["app"]["config"] == {"num_features": 6}
    assert created["spec"]["app"]["layout"][0] == {"name": "0.weight", "shape": [32, 6]}
    code, out = invoke(
        "task", "create", "--app", "tabular-mlp", "--min-deltas", "3", "--rule", "krum",
        "--param", "f=1", "--home", str(home), "--api", node.url,
    )  # fmt: skip
    assert code == ExitCode.CONFIG and "never aggregate" in " ".join(out.split())


def node_task(node: ServedNode, task_id: int) -> dict[str, Any]:
    from node.api.client import ApiClient

    return ApiClient(node.url).get(f"/tasks/{task_id}")
