"""The genesis file (``genesis.cbor``): the canonical CBOR of a :class:`Genesis`.

Its SHA-256 is the genesis hash that peers compare in the status handshake, so every node of a
network must hold byte-identical files.
"""

from __future__ import annotations

import os
from pathlib import Path

from consensus.encoding import decode, encode
from consensus.errors import DecodeError
from consensus.genesis import Genesis
from node.errors import ConfigError

MAX_GENESIS_BYTES = 64 << 20


def write_genesis(path: Path, genesis: Genesis) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(encode(genesis))
    os.replace(tmp, path)


def load_genesis(path: Path) -> Genesis:
    """The genesis in ``path``; a missing or malformed file is a ConfigError naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"genesis file {path} is missing") from None
    except OSError as exc:
        raise ConfigError(f"genesis file {path} is unreadable: {exc}") from None
    try:
        return decode(Genesis, data, MAX_GENESIS_BYTES)
    except DecodeError as exc:
        raise ConfigError(f"genesis file {path} is malformed: {exc}") from None
