"""Materializing a manifest: deterministic keys, one genesis with the manifest's stake and votes,
configs a node accepts, a layout the runner can use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node.ops.config import load_config
from node.ops.genesis_file import load_genesis
from node.scenario.errors import ManifestError
from node.scenario.materialize import LAYOUT_FILE, loopback_addressing, materialize
from node.scenario.parse import parse_manifest

RAW: dict[str, Any] = {
    "name": "mat",
    "seed": 4,
    "task": {"model": "logreg-digits", "rule": "median"},
    "node": [
        {"name": "v", "count": 3, "stake": 2_000},
        {"name": "fan", "role": "full", "stake": 700, "votes": ["v0", "v2"], "train": False},
        {"name": "late", "role": "full", "stake": 0, "train": False, "start_at_s": 9,
         "join_as_candidate": True, "join_bond": 10_000},
    ],
}  # fmt: skip
MANIFEST = parse_manifest(RAW)
ADDRESSING = loopback_addressing(21_500, 22_500)


def test_materialize_writes_homes_genesis_and_layout(tmp_path: Path) -> None:
    layouts = materialize(MANIFEST, tmp_path / "net", ADDRESSING)
    assert [x.name for x in layouts] == ["v0", "v1", "v2", "fan", "late"]
    layout = json.loads((tmp_path / "net" / LAYOUT_FILE).read_text())
    assert [n["api_url"] for n in layout["nodes"]][:2] == [
        "http://127.0.0.1:22500",
        "http://127.0.0.1:22501",
    ]
    genesis = load_genesis(tmp_path / "net" / "v0" / "genesis.cbor")
    by_address = {a.address.hex(): a for a in genesis.accounts}
    address = {x.name: x.address for x in layouts}
    assert by_address[address["v1"]].bonded == 2_000
    fan = by_address[address["fan"]]
    assert fan.bonded == 700
    assert [v.hex() for v in fan.votes] == [address["v0"], address["v2"]]
    assert sorted(c.moniker for c in genesis.candidates) == ["v0", "v1", "v2"]
    assert genesis.params.max_validators >= 4  # room for the joiner
    assert genesis.chain_id == "deltachain-mat" and len(genesis.tasks) == 1


def test_materialize_configs_load_with_shards_over_trainers_only(tmp_path: Path) -> None:
    materialize(MANIFEST, tmp_path / "net", ADDRESSING)
    configs = {n: load_config(tmp_path / "net" / n) for n in ("v0", "v2", "fan")}
    assert [configs[n].training.shard_index for n in ("v0", "v2")] == [0, 2]
    assert configs["v0"].training.num_shards == 3
    assert not configs["fan"].training.enabled
    assert configs["v0"].training.seed == 4
    assert len(configs["fan"].p2p.bootstrap) == 4
    assert configs["v2"].p2p.listen == "/ip4/127.0.0.1/tcp/21502"


def test_materialize_keys_depend_on_seed_only(tmp_path: Path) -> None:
    first = materialize(MANIFEST, tmp_path / "a", ADDRESSING)
    again = materialize(MANIFEST, tmp_path / "b", ADDRESSING)
    other = materialize(MANIFEST, tmp_path / "c", ADDRESSING, seed=5)
    assert [x.peer_id for x in first] == [x.peer_id for x in again]
    assert {x.address for x in first}.isdisjoint({x.address for x in other})


def test_materialize_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "keep.txt").write_text("mine")
    with pytest.raises(ManifestError, match="not empty"):
        materialize(MANIFEST, tmp_path / "net", ADDRESSING)
    assert (tmp_path / "net" / "keep.txt").read_text() == "mine"


def test_materialize_api_token_is_written_for_non_loopback_binds(tmp_path: Path) -> None:
    materialize(MANIFEST, tmp_path / "net", ADDRESSING, api_token="s3cret")
    assert load_config(tmp_path / "net" / "v1").api.token == "s3cret"


def test_materialize_byzantine_roles_reach_the_node_config(tmp_path: Path) -> None:
    raw = {
        "name": "byz",
        "node": [{"name": "v", "count": 4}, {"name": "d", "byzantine": "double_signer"}],
    }
    materialize(parse_manifest(raw), tmp_path / "net", ADDRESSING)
    assert load_config(tmp_path / "net" / "d").byzantine.role == "double_signer"
    assert load_config(tmp_path / "net" / "v0").byzantine.role == ""
