"""A validator whose store is behind what it signed: with no peer to sync from it stops with one
clear line at start (it used to sit at prevote forever); with peers it goes on and syncs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from node.chain.signer import SIGNER_STATE_FILE
from node.errors import StorageError
from node.ops.store_check import validate_store_not_behind_signer

SIGNED_AT_159 = {
    "height": 159,
    "round": 0,
    "step": 3,
    "sign_bytes": "00" * 8,
    "signature": "11" * 64,
}


def write_signer(tmp_path: Path, height: int) -> Path:
    path = tmp_path / SIGNER_STATE_FILE
    path.write_text(json.dumps({**SIGNED_AT_159, "height": height}), encoding="utf-8")
    return path


def test_store_behind_signer_without_peers_is_one_clear_error(tmp_path: Path) -> None:
    path = write_signer(tmp_path, 159)
    with pytest.raises(StorageError, match="ends at height 103 but this node signed at height 159"):
        validate_store_not_behind_signer(103, path, has_peers=False)


def test_store_behind_signer_with_peers_syncs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_signer(tmp_path, 159)
    with caplog.at_level(logging.WARNING):
        validate_store_not_behind_signer(0, path, has_peers=True)
    assert "syncing the missing final blocks from peers" in caplog.text


@pytest.mark.parametrize(("store_height", "signed"), [(158, 159), (159, 159), (200, 159)])
def test_store_at_or_one_below_signer_is_fine(
    tmp_path: Path, store_height: int, signed: int
) -> None:
    validate_store_not_behind_signer(store_height, write_signer(tmp_path, signed), has_peers=False)


def test_fresh_signer_is_fine(tmp_path: Path) -> None:
    validate_store_not_behind_signer(0, tmp_path / SIGNER_STATE_FILE, has_peers=False)
