"""``deltachain init / start / status``: one clear line and a documented exit code for each
fault an operator can act on (missing home, bad config, port in use, genesis mismatch)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consensus.genesis import Genesis
from node.cli.common import ExitCode
from node.cli.main import app
from node.ops.genesis_file import load_genesis, write_genesis
from node.storage.chain_store import ChainStore

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def init_home(home: Path) -> None:
    result = runner.invoke(
        app,
        [
            "init",
            "--home",
            str(home),
            "--p2p-port",
            str(free_port()),
            "--api-port",
            str(free_port()),
        ],
    )
    assert result.exit_code == 0, result.output


def test_init_writes_a_startable_home_and_refuses_twice(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    for name in ("config.toml", "genesis.cbor", "node_key.json"):
        assert (home / name).exists()
    genesis = load_genesis(home / "genesis.cbor")
    assert len(genesis.candidates) == 1 and len(genesis.tasks) == 1
    again = runner.invoke(app, ["init", "--home", str(home)])
    assert again.exit_code == ExitCode.CONFIG and "already initialised" in again.output


def test_start_missing_home_is_a_config_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["start", "--home", str(tmp_path / "absent")])
    assert result.exit_code == ExitCode.CONFIG
    assert "does not exist" in result.output


def test_start_bad_config_value_names_the_key(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    config = home / "config.toml"
    config.write_text(config.read_text().replace("port = ", "port = -", 1))
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.CONFIG
    assert "api.port" in result.output


@pytest.mark.parametrize("section", ["[api]", "[p2p]"])
def test_start_port_in_use_exits_with_its_code(tmp_path: Path, section: str) -> None:
    home = tmp_path / "h"
    init_home(home)
    text = (home / "config.toml").read_text().split(section)[1]
    port = (
        int(text.split("port = ")[1].split()[0])
        if section == "[api]"
        else int(text.split("/tcp/")[1].split('"')[0])
    )
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.PORT_IN_USE, result.output
    assert "in use" in result.output


def test_start_genesis_mismatch_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    store = ChainStore(home / "data" / "chain.db")
    store.set_meta("genesis_hash", b"\x01" * 32)  # the data dir of another network
    store.close()
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.CONFIG
    assert "genesis mismatch" in result.output


@pytest.mark.parametrize("content", [b"", b"\xff\x00garbage"])
def test_start_malformed_genesis_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    home = tmp_path / "h"
    init_home(home)
    (home / "genesis.cbor").write_bytes(content)
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.CONFIG
    assert "genesis file" in result.output


def test_init_with_a_genesis_copies_it(tmp_path: Path) -> None:
    write_genesis(tmp_path / "g.cbor", Genesis(chain_id="joined", time_ms=1))
    home = tmp_path / "h"
    result = runner.invoke(
        app, ["init", "--home", str(home), "--genesis", str(tmp_path / "g.cbor")]
    )
    assert result.exit_code == 0, result.output
    assert load_genesis(home / "genesis.cbor").chain_id == "joined"


def test_status_of_a_node_that_is_not_running(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    result = runner.invoke(app, ["status", "--home", str(home)])
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "is the node" in result.output
