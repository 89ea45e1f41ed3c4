"""Redial backoff, peer ids and configuration validation."""

import dataclasses

import pytest
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.id import ID

from node.network.config import NetworkConfig, RedialParams
from node.network.errors import ConfigError
from node.network.peer_id import compute_peer_id, encode_base58, get_addr_peer_id
from node.network.redial import compute_next_backoff
from tests.node.network.conftest import make_seed


def test_redial_backoff_doubles_up_to_cap() -> None:
    params = RedialParams(initial_s=0.25, factor=2.0, max_s=1.0)
    waits = [params.initial_s]
    for _ in range(4):
        waits.append(compute_next_backoff(waits[-1], params))
    assert waits == [0.25, 0.5, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("index", range(4))
def test_peer_id_matches_libp2p(index: int) -> None:
    key_pair = create_new_key_pair(make_seed(index))
    assert compute_peer_id(make_seed(index)) == ID.from_pubkey(key_pair.public_key).to_base58()


def test_base58_keeps_leading_zeros() -> None:
    assert encode_base58(b"\0\0\x01") == "112"


def test_addr_peer_id_parsing() -> None:
    assert get_addr_peer_id("/ip4/127.0.0.1/tcp/1/p2p/12D3KooWabc") == "12D3KooWabc"
    for bad in ("/ip4/127.0.0.1/tcp/1", "/p2p/", "/p2p/a/b"):
        with pytest.raises(ConfigError):
            get_addr_peer_id(bad)


@pytest.mark.parametrize(
    "changes",
    [
        {"key_seed": b"short"},
        {"chain_id": ""},
        {"chain_id": "a/b"},
        {"bootstrap_peers": ("/ip4/127.0.0.1/tcp/1",)},
    ],
)
def test_config_rejects_invalid_fields(changes: dict[str, object]) -> None:
    config = NetworkConfig("chain", make_seed(0))
    with pytest.raises(ConfigError):
        dataclasses.replace(config, **changes)  # type: ignore[arg-type]
