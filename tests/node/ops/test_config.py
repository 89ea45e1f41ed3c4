"""Configuration and key files: round trips and one clear error per bad value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from node.byzantine.settings import ByzantineConfig
from node.errors import ConfigError
from node.learning.settings import TrainingConfig
from node.ops.config import ApiConfig, NodeConfig, P2PConfig, load_config, render_config
from node.ops.keys import create_key_file, load_key_file

PEER = "/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"


def write(home: Path, text: str) -> None:
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)


def test_config_render_then_load_round_trips(tmp_path: Path) -> None:
    config = NodeConfig(
        home=tmp_path,
        moniker='n"0',
        p2p=P2PConfig(
            "/ip4/127.0.0.1/tcp/4001",
            ("/ip4/127.0.0.1/tcp/4002/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",),
            True,
        ),
        api=ApiConfig("127.0.0.1", 8080, ""),
    )
    write(tmp_path, render_config(config))
    assert load_config(tmp_path) == config


def test_config_defaults_for_what_a_file_leaves_out(tmp_path: Path) -> None:
    write(tmp_path, '[node]\nmoniker = "node"\n')
    assert load_config(tmp_path) == NodeConfig(home=tmp_path)


def test_config_empty_file_is_refused_not_started_on_random_ports(tmp_path: Path) -> None:
    write(tmp_path, "# nothing here\n")
    with pytest.raises(ConfigError, match=r"is empty: it needs at least \[p2p\] listen"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[api]\nport = 70000\n", "api.port 70000"),
        ("[api]\nport = true\n", "api.port must be of type int"),
        ('[api]\nhost = "0.0.0.0"\n', "api.token is required"),
        ("[p2p]\nbogus = 1\n", "unknown config key.*p2p.bogus"),
        ("[p2p]\nbootstrap = [1]\n", "p2p.bootstrap must be a list of strings"),
        ('[p2p]\nlisten = "tcp://x"\n', "not a multiaddress"),
        ("[training]\nshard_index = 3\nnum_shards = 2\n", "shard_index"),
        ('[training]\npartition = "zipf"\n', "partition"),
        ("node = 3\n", r"\[node\] must be a table"),
        ("[[api\n", "not valid TOML"),
        ('[byzantine]\nrole = "liar"\n', "byzantine.role must be one of"),
        ("[byzantine]\nrole = 1\n", "byzantine.role must be of type str"),
        ("[byzantine]\nspam_per_s = 0\n", "byzantine.spam_per_s must be in"),
        ("[byzantine]\nspam_per_s = nan\n", "byzantine.spam_per_s must be in"),
        ("[byzantine]\nspam_per_s = 1e9\n", "byzantine.spam_per_s must be in"),
        ("[byzantine]\nenabled = true\n", "unknown config key.*byzantine.enabled"),
        ('[training]\nattack = "boost"\n', "training.attack must be one of"),
        ("[training]\nlearning_rate = nan\n", "training.learning_rate must be a positive"),
        ("[training]\nlearning_rate = inf\n", "training.learning_rate must be a positive"),
        ("[training]\nalpha = nan\n", "training.alpha must be a positive"),
        ("[training]\nseed = -1\n", r"training.seed must be in \[0, 2\*\*32\)"),
        ('[training]\ndataset = "/data/x"\n', "training.dataset must be one of"),
        ('[p2p]\nlisten = "/ip4/1.2.3.999/tcp/1"\n', "p2p.listen entry .* is not a valid"),
        ('[p2p]\nlisten = "/ip4/127.0.0.1/tcp/-1"\n', "p2p.listen entry .* is not a valid"),
        ('[p2p]\nbootstrap = ["garbage"]\n', "p2p.bootstrap entry 'garbage' is not a valid"),
        ('[p2p]\nbootstrap = ["/ip4/127.0.0.1/tcp/5"]\n', "has no /p2p/<peer id> part"),
        ('[node]\nmoniker = "a\\nb"\n', "moniker 'a\\\\nb' must be 1 to 64 printable"),
        ('[node]\nmoniker = ""\n', "must be 1 to 64 printable"),
    ],
)
def test_config_bad_values_give_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_config_byzantine_role_and_alie_round_trip(tmp_path: Path) -> None:
    config = NodeConfig(
        home=tmp_path,
        training=TrainingConfig(attack="alie"),
        byzantine=ByzantineConfig("spammer", 12.5),
    )
    text = render_config(config)
    assert '[byzantine]\nrole = "spammer"\nspam_per_s = 12.5\n' in text
    write(tmp_path, text)
    assert load_config(tmp_path) == config


def test_config_honest_node_file_has_no_byzantine_section(tmp_path: Path) -> None:
    text = render_config(NodeConfig(home=tmp_path))
    assert "byzantine" not in text
    write(tmp_path, text + '[byzantine]\nrole = "double_signer"\n')  # what a scenario appends
    assert load_config(tmp_path).byzantine == ByzantineConfig("double_signer")


def test_config_missing_home_and_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent")
    with pytest.raises(ConfigError, match="is missing"):
        load_config(tmp_path)


def test_config_public_api_with_token_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, '[api]\nhost = "0.0.0.0"\ntoken = "s3cret"\n')
    assert not load_config(tmp_path).api.is_loopback


def test_keys_create_load_and_refuse_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "node_key.json"
    key = create_key_file(path, b"\x07" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path) == key
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        create_key_file(path, b"\x08" * 32)


def test_keys_malformed_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "node_key.json"
    with pytest.raises(ConfigError, match="missing"):
        load_key_file(path)
    path.write_text('{"seed": "zz"}')
    with pytest.raises(ConfigError, match="malformed"):
        load_key_file(path)
    path.write_text('{"seed": "' + "07" * 32 + '", "address": "00"}')
    with pytest.raises(ConfigError, match="does not match"):
        load_key_file(path)
