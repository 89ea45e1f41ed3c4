"""Peer ids derived from an Ed25519 seed, without py-libp2p.

The id is the libp2p one: base58btc of the identity multihash of the protobuf-encoded
public key. The memory network uses it too, so a node has the same id in both.
"""

import functools

import nacl.signing

from node.network.errors import ConfigError
from node.network.values import PeerId

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PB_ED25519_PREFIX = bytes([0x08, 0x01, 0x12, 0x20])  # KeyType=Ed25519, Data: 32 bytes
_IDENTITY_MULTIHASH = bytes([0x00, 0x24])  # identity code, length 36


def encode_base58(data: bytes) -> str:
    """Bitcoin-alphabet base58 of ``data``, leading zero bytes as '1'."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(_ALPHABET[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


@functools.lru_cache(maxsize=4096)
def peer_id_from_bytes(peer_id_bytes: bytes) -> PeerId:
    """The text form (base58btc) of a peer id's bytes, as gossip names a message's origin;
    remembered, since the same few peers send every message."""
    return PeerId(encode_base58(peer_id_bytes))


def compute_peer_id(seed: bytes) -> PeerId:
    """The libp2p peer id of the Ed25519 key built from ``seed`` (32 bytes)."""
    if len(seed) != 32:
        raise ConfigError(f"Ed25519 seed must be 32 bytes, got {len(seed)}")
    return compute_key_peer_id(bytes(nacl.signing.SigningKey(seed).verify_key))


@functools.lru_cache(maxsize=4096)
def compute_key_peer_id(public_key: bytes) -> PeerId:
    """The libp2p peer id of an Ed25519 public key (32 bytes), e.g. an account address: a
    node whose network key is its account key (every validator) has this id."""
    if len(public_key) != 32:
        raise ConfigError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
    return encode_base58(_IDENTITY_MULTIHASH + _PB_ED25519_PREFIX + public_key)


def get_addr_peer_id(addr: str) -> PeerId:
    """The peer id at the end of a ``.../p2p/<id>`` address."""
    head, sep, peer = addr.rpartition("/p2p/")
    if not sep or not peer or "/" in peer:
        raise ConfigError(f"address does not end in /p2p/<peer id>: {addr!r}")
    del head
    return peer
