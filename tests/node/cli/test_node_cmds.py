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


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--api-port", "70000"], ExitCode.USAGE, "--api-port"),
        (["--p2p-port", "-1"], ExitCode.USAGE, "--p2p-port"),
        (["--chain-id", ""], ExitCode.CONFIG, "--chain-id '' must be 1 to 50"),
        (["--chain-id", "a b"], ExitCode.CONFIG, "--chain-id 'a b' must be 1 to 50"),
        (["--moniker", "a\nb"], ExitCode.CONFIG, "must be 1 to 64 printable"),
        (["--bootstrap", "garbage"], ExitCode.CONFIG, "--bootstrap entry 'garbage'"),
    ],
)
def test_init_refuses_what_would_write_an_unusable_home(
    tmp_path: Path, arguments: list[str], code: ExitCode, message: str
) -> None:
    home = tmp_path / "h"
    result = runner.invoke(app, ["init", "--home", str(home), *arguments])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (home / "config.toml").exists() and not (home / "node_key.json").exists()


def test_init_home_on_a_file_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(app, ["init", "--home", str(target)])
    assert result.exit_code == ExitCode.CONFIG
    assert "is a file, not a directory" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://[::1"])
def test_status_with_an_invalid_api_url_is_one_line(url: str) -> None:
    result = runner.invoke(app, ["status", "--api", url])
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert f"API URL {url!r} is invalid" in result.output


def test_start_deeply_nested_key_file_is_a_config_error(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    (home / "node_key.json").write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.CONFIG
    assert "node_key.json is malformed: nested too deeply" in result.output


@pytest.mark.parametrize("damage", ["truncate", "garble", "directory"])
def test_start_damaged_chain_database_is_a_storage_error(tmp_path: Path, damage: str) -> None:
    home = tmp_path / "h"
    init_home(home)
    database = home / "data" / "chain.db"
    ChainStore(database).close()
    if damage == "truncate":
        database.write_bytes(database.read_bytes()[:3000])
    elif damage == "garble":
        database.write_bytes(b"not a database at all" * 200)
    else:
        database.unlink()
        database.mkdir()
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.STORAGE, result.output
    assert "chain database" in result.output


def test_start_validator_whose_store_lost_blocks_stops_with_one_line(tmp_path: Path) -> None:
    home = tmp_path / "h"
    init_home(home)
    signer = home / "data" / "signer.json"
    signer.parent.mkdir(parents=True, exist_ok=True)
    signer.write_text(
        '{"height": 159, "round": 0, "step": 3, "sign_bytes": "00", "signature": "11"}'
    )
    result = runner.invoke(app, ["start", "--home", str(home)])
    assert result.exit_code == ExitCode.STORAGE, result.output
    assert "signed at height 159" in result.output and "no peer is configured" in result.output
