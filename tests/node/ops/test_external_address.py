"""``p2p.external_address``: read from config.toml, checked, handed to the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.errors import ConfigError
from node.ops.config import load_config

BASE = '[p2p]\nlisten = "/ip4/0.0.0.0/tcp/26656"\n{extra}\n[api]\nport = 8545\n'


def _write(home: Path, extra: str) -> Path:
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(BASE.format(extra=extra))
    return home


def test_external_address_is_read_and_defaults_to_none(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path / "a", 'external_address = "/ip4/203.0.113.7/tcp/26656"'))
    assert config.p2p.external_address == "/ip4/203.0.113.7/tcp/26656"
    assert load_config(_write(tmp_path / "b", "")).p2p.external_address == ""


def test_bad_external_address_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"p2p\.external_address entry .* not a valid"):
        load_config(_write(tmp_path / "c", 'external_address = "203.0.113.7:26656"'))
