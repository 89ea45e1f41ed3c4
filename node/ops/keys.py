"""The node key file: one Ed25519 seed that is the account, validator and libp2p identity."""

from __future__ import annotations

import json
import os
from pathlib import Path

from consensus.crypto import KeyPair
from node.errors import ConfigError


def create_key_file(path: Path, seed: bytes) -> KeyPair:
    """Write a new key file readable by its owner only; refuse to overwrite one."""
    key = KeyPair.from_seed(seed)
    body = json.dumps({"seed": seed.hex(), "address": key.address.hex()})
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def load_key_file(path: Path) -> KeyPair:
    """The key in ``path``; a missing or malformed file is a ConfigError naming it."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        key = KeyPair.from_seed(bytes.fromhex(body["seed"]))
    except FileNotFoundError:
        raise ConfigError(f"key file {path} is missing (run `deltachain init`)") from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ConfigError(f"key file {path} is malformed: {_describe(exc)}") from None
    if "address" in body and body["address"] != key.address.hex():
        raise ConfigError(f"key file {path}: address does not match the seed")
    return key


def _describe(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, KeyError):
        return f"no {error} field"
    return str(error)
