"""``testnet create --app``: the genesis task runs the app, each node joins it with its own
data path (digits-mlp writes every node's shard into its home), the bundle is in every store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ml.data.datasets import load_digits_split
from ml.data.partition import ShardSpec, compute_shard
from node.errors import ConfigError
from node.ops.app_task import prepare_app_task, read_initial_weights
from node.ops.config import load_config
from node.ops.genesis_file import load_genesis
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet
from node.storage.blobs import BlobStore

DIGITS = prepare_app_task("digits-mlp", {})
TABULAR = prepare_app_task("tabular-mlp", {"num_features": 3, "num_classes": 2})


def homes(manifest: dict[str, object]) -> list[Path]:
    return [Path(n["home"]) for n in manifest["nodes"]]  # type: ignore[attr-defined]


def test_testnet_digits_app_gives_each_node_its_own_shard(tmp_path: Path) -> None:
    options = TestnetOptions(validators=3, seed=2, task=TaskOptions("digits-mlp", app=DIGITS))
    nodes = homes(create_testnet(tmp_path / "net", options))
    spec = load_genesis(nodes[0] / "genesis.cbor").tasks[0].spec
    assert spec.app is not None and spec.app.app_hash == DIGITS.app_hash
    assert spec.model_id == "digits-mlp"
    digits = load_digits_split()
    for index, home in enumerate(nodes):
        [joined] = load_config(home).tasks
        assert (joined.task_id, joined.app_hash, joined.data) == (
            1,
            DIGITS.app_hash,
            "private-data",
        )
        assert BlobStore(home / "data" / "blobs").get(DIGITS.app_hash) == DIGITS.bundle
        with np.load(home / "private-data" / "train.npz") as shard:
            expected = compute_shard(digits.train, ShardSpec("iid", 3, index, 0))
            assert shard["y"].tolist() == expected.y.tolist()


def test_testnet_app_with_data_paths_joins_only_those_nodes(tmp_path: Path) -> None:
    data = [tmp_path / "a", tmp_path / "b"]
    for folder in data:
        folder.mkdir()
    task = TaskOptions("tabular-mlp", app=TABULAR, min_deltas=2)
    options = TestnetOptions(validators=3, task=task, data=tuple(map(str, data)))
    nodes = homes(create_testnet(tmp_path / "net", options))
    joined = [load_config(h).tasks for h in nodes]
    assert [j[0].data for j in joined[:2]] == [str(d.resolve()) for d in data]
    assert joined[2] == ()


def test_testnet_app_refusals(tmp_path: Path) -> None:
    task = TaskOptions("tabular-mlp", app=TABULAR)
    with pytest.raises(ConfigError, match="needs --data"):
        create_testnet(tmp_path / "a", TestnetOptions(validators=2, task=task))
    with pytest.raises(ConfigError, match="does not exist"):
        create_testnet(tmp_path / "b", TestnetOptions(task=task, data=(str(tmp_path / "x"),)))
    krum = dataclasses.replace(task, rule="krum", rule_params={"f": 1})
    with pytest.raises(ConfigError, match="never aggregate"):
        create_testnet(tmp_path / "c", TestnetOptions(validators=4, task=krum, data=("/",)))


def test_catalog_model_ids_map_onto_their_apps() -> None:
    assert prepare_app_task("mlp-digits", {}).app_hash == DIGITS.app_hash


def test_initial_weights_from_npz_must_fit_the_layout(tmp_path: Path) -> None:
    tensors = {e.name: np.full(e.shape, 0.5, np.float32) for e in TABULAR.layout.entries}
    np.savez(tmp_path / "w.npz", **tensors)  # type: ignore[arg-type]
    weights = read_initial_weights(tmp_path / "w.npz", TABULAR.layout)
    assert weights.size == TABULAR.layout.num_params and set(weights.tolist()) == {0.5}
    np.savez(tmp_path / "bad.npz", x=np.zeros(3))
    with pytest.raises(ConfigError, match="exactly the tensors"):
        read_initial_weights(tmp_path / "bad.npz", TABULAR.layout)


def write_csv(path: Path, rows: int = 60) -> Path:
    rng = np.random.default_rng(3)
    lines = ["a,b,c,segment"]
    lines += [
        f"{x:.3f},{y:.3f},{z:.3f},{i % 2}" for i, (x, y, z) in enumerate(rng.normal(size=(rows, 3)))
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_testnet_split_data_gives_every_node_its_own_folder(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "customers.csv")
    task = TaskOptions("tabular-mlp", app=TABULAR)
    options = TestnetOptions(validators=3, task=task, split_data=source, split_label="segment")
    out = tmp_path / "net"
    nodes = homes(create_testnet(out, options))
    folders = [Path(load_config(h).tasks[0].data) for h in nodes]
    assert folders == [(out / "split-data" / f"node{i}").resolve() for i in range(3)]
    counts = [len((f / "data.csv").read_text().splitlines()) - 1 for f in folders]
    assert sum(counts) == 60 and min(counts) > 0  # every row in exactly one node's folder


def test_testnet_split_data_refusals(tmp_path: Path) -> None:
    task = TaskOptions("tabular-mlp", app=TABULAR)
    source = write_csv(tmp_path / "customers.csv")
    both = TestnetOptions(task=task, split_data=source, data=(str(tmp_path),))
    with pytest.raises(ConfigError, match="not both"):
        create_testnet(tmp_path / "a", both)
    no_label = TestnetOptions(task=task, split_data=source)  # the label column is "segment"
    with pytest.raises(ConfigError, match="cannot split"):
        create_testnet(tmp_path / "b", no_label)
