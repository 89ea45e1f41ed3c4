"""``deltachain model show|export`` and ``deltachain audit`` against a node that serves a chain
where a real aggregation happened (and a copy of it with a tampered reward)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ml.models import get_model_spec, init_weights, split_weights
from ml.snapshot import decode_weights
from node.api import ApiClient
from node.cli.common import ExitCode
from node.cli.main import app
from node.storage.blobs import BlobStore
from node.storage.chain_store import ChainStore
from tests.node.api.cluster import ServedNode
from tests.node.cli.learned import build_learned_chain, open_node
from tests.node.learning.test_learning_on_finality import TASK

runner = CliRunner()
ACCURACY = 0.8125


@pytest.fixture(scope="module")
def chain_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Validator 0's data directory after version 1, with a measured test accuracy."""
    learned = build_learned_chain(tmp_path_factory.mktemp("learned"))
    store = ChainStore(learned.homes[0] / "chain.db")
    store.set_model_accuracy(1, 1, ACCURACY)
    store.close()
    return learned.homes[0]


@pytest.fixture(scope="module")
def served(chain_home: Path) -> Iterator[ServedNode]:
    with ServedNode(chain_home, make=open_node) as node:
        yield node


def invoke(served: ServedNode, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--api", served.url])
    return result.exit_code, result.stdout, " ".join(result.output.split())


def test_model_show_lists_versions_with_height_hash_and_accuracy(served: ServedNode) -> None:
    code, out, _ = invoke(served, "model", "show", "--task", "1", "--json")
    assert code == ExitCode.OK, out
    shown = json.loads(out)
    record = shown["models"][0]
    assert [m["version"] for m in shown["models"]] == [1] and record["accuracy"] == ACCURACY
    assert shown["task"]["model_hash"] == record["model_hash"] and record["height"] > 0
    code, _, text = invoke(served, "model", "show", "--task", "1")
    assert code == ExitCode.OK and record["model_hash"][:20] in text and "0.8125" in text
    code, _, text = invoke(served, "model", "show", "--task", "4")
    assert code == ExitCode.FAILURE and "no task 4" in text


def test_model_show_limit_keeps_the_newest_versions(chain_home: Path, tmp_path: Path) -> None:
    """Versions 2-5 added to a copy of the store: ``--limit 2`` shows 4 and 5 and says how many
    there are; ``--limit 0`` shows all; a negative limit is a usage error."""
    home = tmp_path / "more"
    shutil.copytree(chain_home, home)
    store = ChainStore(home / "chain.db")
    first = store.get_models(1)[0]
    for version in range(2, 6):
        hashed = bytes([version]) * 32
        store.save_model(dataclasses.replace(first, version=version, model_hash=hashed))
    store.close()
    with ServedNode(home, make=open_node) as node:
        code, out, _ = invoke(node, "model", "show", "--task", "1", "--limit", "2", "--json")
        assert code == ExitCode.OK, out
        assert [m["version"] for m in json.loads(out)["models"]] == [4, 5]
        code, out, text = invoke(node, "model", "show", "--task", "1", "--limit", "2")
        assert code == ExitCode.OK and "the newest 2 of 5" in text
        assert (bytes([5]) * 32).hex() in out.replace("│", "").replace(" ", "").replace("\n", "")
        assert (bytes([3]) * 32).hex()[:12] not in out
        code, out, _ = invoke(node, "model", "show", "--task", "1", "--limit", "0", "--json")
        assert [m["version"] for m in json.loads(out)["models"]] == [1, 2, 3, 4, 5]
        code, _, text = invoke(node, "model", "show", "--task", "1", "--limit", "-1")
        assert code == ExitCode.USAGE


def test_model_export_writes_the_named_tensors(
    served: ServedNode, chain_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "v1.npz"
    code, _, text = invoke(served, "model", "export", "--task", "1", "--out", str(out))
    assert code == ExitCode.OK, text
    assert "test accuracy recorded for this version: 0.8125" in text
    model_hash = ApiClient(served.url).get("/tasks/1")["model_hash"]
    blob = BlobStore(chain_home / "blobs").get(bytes.fromhex(model_hash))
    assert blob is not None
    expected = split_weights(get_model_spec(TASK.model_id), decode_weights(blob))
    with np.load(out) as saved:
        assert list(saved.keys()) == list(expected)
        for name, tensor in expected.items():
            assert saved[name].shape == tensor.shape and np.array_equal(saved[name], tensor)


def test_model_export_version_zero_is_the_initial_model(served: ServedNode, tmp_path: Path) -> None:
    out = tmp_path / "v0.npz"
    args = ["model", "export", "--task", "1", "--version", "0", "--out", str(out), "--json"]
    code, stdout, text = invoke(served, *args)
    assert code == ExitCode.OK, text
    assert json.loads(stdout)["model_hash"] == TASK.initial_model_hash.hex()
    initial = split_weights(get_model_spec(TASK.model_id), init_weights(TASK.model_id, 0))
    with np.load(out) as saved:
        assert all(np.array_equal(saved[name], value) for name, value in initial.items())


def test_model_export_failures(served: ServedNode, tmp_path: Path) -> None:
    out = tmp_path / "x.npz"
    code, _, text = invoke(
        served, "model", "export", "--task", "1", "--version", "3", "--out", str(out)
    )
    assert code == ExitCode.FAILURE and "no model version 3" in text and not out.exists()
    missing_dir = tmp_path / "nowhere" / "x.npz"
    code, _, text = invoke(served, "model", "export", "--task", "1", "--out", str(missing_dir))
    assert code == ExitCode.FAILURE and "cannot write" in text


def test_audit_verifies_the_learned_version(served: ServedNode) -> None:
    code, out, _ = invoke(served, "audit", "--task", "1", "--version", "1", "--json")
    assert code == ExitCode.OK, out
    report = json.loads(out)
    assert report["verified"] is True and len(report["deltas"]) == 4
    assert report["aggregation_verified"] is True
    assert all(
        d["reward"] == d["expected_reward"] == TASK.reward_per_delta for d in report["deltas"]
    )
    code, _, text = invoke(served, "audit", "--task", "1", "--version", "1")
    assert code == ExitCode.OK and text.endswith("verified") and "NOT" not in text
    assert "aggregation re-run ok" in text
    assert all(d["sender"] in text for d in report["deltas"])  # whole, to copy
    assert "FAILED" not in text and "…" not in text  # no column squeezed at 80 characters
    code, _, text = invoke(served, "audit", "--task", "1", "--version", "2")
    assert code == ExitCode.FAILURE and "no aggregated model version 2" in text


def test_audit_of_a_tampered_store_exits_1(chain_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "tampered"
    shutil.copytree(chain_home, home)
    store = ChainStore(home / "chain.db")
    row = store.get_contributions(1, 1)[0]
    store.save_contributions(1, 1, [dataclasses.replace(row, reward=row.reward * 2)])
    store.close()
    with ServedNode(home, make=open_node) as tampered:
        code, out, _ = invoke(tampered, "audit", "--task", "1", "--version", "1", "--json")
        _, _, text = invoke(tampered, "audit", "--task", "1", "--version", "1")
    assert code == ExitCode.FAILURE
    report = json.loads(out)
    assert report["verified"] is False and len(report["failures"]) == 1
    assert "NOT verified" in text and f"was paid {row.reward * 2}" in text


def test_audit_unreachable_node_exits_7(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "--task", "1", "--version", "1", "--home", str(tmp_path)])
    assert result.exit_code == ExitCode.UNAVAILABLE and "api.json" in result.output
