"""Peer ids from account keys: a validator's node id follows from its address alone."""

import pytest
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.id import ID

from consensus.crypto import KeyPair
from node.network.errors import ConfigError
from node.network.hostile import find_seed_sorting_first
from node.network.peer_id import compute_key_peer_id, compute_peer_id, peer_id_from_bytes
from tests.node.network.conftest import make_seed


@pytest.mark.parametrize("index", range(3))
def test_key_peer_id_of_an_address_is_the_nodes_libp2p_id(index: int) -> None:
    address = KeyPair.from_seed(make_seed(index)).address
    libp2p_id = ID.from_pubkey(create_new_key_pair(make_seed(index)).public_key).to_base58()
    assert compute_key_peer_id(address) == compute_peer_id(make_seed(index)) == libp2p_id


def test_key_peer_id_refuses_a_key_of_the_wrong_size() -> None:
    with pytest.raises(ConfigError):
        compute_key_peer_id(b"\1" * 31)


def test_key_peer_id_seed_sorting_first_beats_every_other_id() -> None:
    others = [compute_peer_id(make_seed(i)) for i in range(4)]
    assert all(compute_peer_id(find_seed_sorting_first(others, b"x")) < p for p in others)


@pytest.mark.parametrize("index", range(3))
def test_peer_id_from_bytes_is_libp2p_s_text_form(index: int) -> None:
    libp2p_id = ID.from_pubkey(create_new_key_pair(make_seed(index)).public_key)
    assert peer_id_from_bytes(libp2p_id.to_bytes()) == libp2p_id.to_base58()
    assert peer_id_from_bytes(b"\0\0\x05") == ID(b"\0\0\x05").to_base58() == "116"
