"""Hashing, Ed25519 keys and the one function that builds sign-bytes.

Every signature in the system covers ``compute_sign_bytes(domain, chain_id, payload)``: the
canonical CBOR of ``[domain tag, chain id, payload]``. The domain tag keeps a signature on one
message type from ever verifying as another; the chain id keeps it from replaying on another
chain. Signing is deterministic (RFC 8032), so the core stays pure.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing

from consensus.encoding import encode
from consensus.errors import InvalidSignatureError
from consensus.primitives import (
    ADDRESS_SIZE,
    SEED_SIZE,
    SIGNATURE_SIZE,
    Address,
    ChainId,
    Hash32,
    Signature,
)

Verifier = Callable[[Address, bytes, Signature], bool]
"""``verify(public_key, message, signature) -> bool``; injectable so simulators can cache it."""

VERIFIED_MEMO_SIZE = 1 << 13
"""Signature checks remembered, least recently used first out (about 1.5 MB)."""
_verified: OrderedDict[tuple[bytes, bytes, bytes], bool] = OrderedDict()
_verified_lock = threading.Lock()


class Domain(enum.Enum):
    """Domain separation tags, one per signed message type."""

    TRANSACTION = "deltachain/tx/v1"
    PROPOSAL = "deltachain/proposal/v1"
    VOTE = "deltachain/vote/v1"


def compute_hash(data: bytes) -> Hash32:
    """SHA-256 of ``data``."""
    return hashlib.sha256(data).digest()


def compute_sign_bytes(domain: Domain, chain_id: ChainId, payload: Any) -> bytes:
    """The exact bytes a signer signs for ``payload`` of kind ``domain`` on ``chain_id``."""
    return encode([domain.value, chain_id, payload])


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 key pair derived from a 32-byte seed."""

    seed: bytes
    address: Address

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        if len(seed) != SEED_SIZE:
            raise ValueError(f"an Ed25519 seed is {SEED_SIZE} bytes, got {len(seed)}")
        signing_key = nacl.signing.SigningKey(seed)
        return cls(seed=seed, address=bytes(signing_key.verify_key))

    def sign(self, message: bytes) -> Signature:
        return nacl.signing.SigningKey(self.seed).sign(message).signature

    def __repr__(self) -> str:  # never print the seed
        return f"KeyPair(address={self.address.hex()[:16]}...)"


def verify_signature(address: Address, message: bytes, signature: Signature) -> bool:
    """Whether ``signature`` is ``address``'s Ed25519 signature of ``message``.

    Memoised by the message's SHA-256 (the answer depends on the three values alone): a node
    checks the same vote as gossip and again as a consensus input, and the same transaction
    when it is pooled, built into a block, checked in a proposal and applied."""
    if len(address) != ADDRESS_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    key = (bytes(address), hashlib.sha256(message).digest(), bytes(signature))
    with _verified_lock:  # a node also checks signatures in worker threads
        known = _verified.get(key)
        if known is not None:
            _verified.move_to_end(key)
            return known
    try:
        nacl.signing.VerifyKey(address).verify(message, signature)
        valid = True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        valid = False
    with _verified_lock:
        _verified[key] = valid
        if len(_verified) > VERIFIED_MEMO_SIZE:
            _verified.popitem(last=False)
    return valid


def validate_signature(
    address: Address, message: bytes, signature: Signature, verify: Verifier = verify_signature
) -> None:
    """Raise :class:`InvalidSignatureError` unless the signature verifies."""
    if not verify(address, message, signature):
        raise InvalidSignatureError(f"bad signature by {address.hex()[:16]}")
