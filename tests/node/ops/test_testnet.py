"""``testnet create`` writes consistent homes: one genesis, distinct keys, bootstrap lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consensus.ledger import compute_genesis_state
from ml.snapshot import decode_weights
from node.errors import ConfigError
from node.ops.config import load_config
from node.ops.genesis_file import load_genesis
from node.ops.keys import load_key_file
from node.ops.testnet import TestnetOptions, create_testnet
from node.storage.blobs import BlobStore


def test_testnet_create_writes_consistent_homes(tmp_path: Path) -> None:
    manifest = create_testnet(tmp_path / "net", TestnetOptions(validators=4, seed=1))
    homes = [Path(n["home"]) for n in manifest["nodes"]]  # type: ignore[attr-defined]
    genesis = load_genesis(homes[0] / "genesis.cbor")
    assert all(
        (h / "genesis.cbor").read_bytes() == (homes[0] / "genesis.cbor").read_bytes() for h in homes
    )
    state = compute_genesis_state(genesis)
    addresses = {load_key_file(h / "node_key.json").address for h in homes}
    assert len(addresses) == 4 and set(state.validators.powers) == addresses
    task = state.tasks[1]
    snapshot = BlobStore(homes[2] / "data" / "blobs").get(task.model_hash)
    assert snapshot is not None and decode_weights(snapshot).size > 0
    configs = [load_config(h) for h in homes]
    assert [c.training.shard_index for c in configs] == [0, 1, 2, 3]
    assert all(len(c.p2p.bootstrap) == 3 for c in configs)
    assert len({c.api.port for c in configs}) == 4
    assert (
        json.loads((tmp_path / "net" / "testnet.json").read_text())["chain_id"] == genesis.chain_id
    )


def test_testnet_create_refuses_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "keep").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        create_testnet(tmp_path / "net", TestnetOptions())
