"""A simulated validator's signer, with CometBFT's double-sign protection.

An honest signer remembers the last (height, round, step) it signed and the bytes it signed
there. It re-signs identical bytes (a retransmission), and refuses anything below that point or
different bytes at that point. A Byzantine signer signs whatever it is asked to.
"""

from __future__ import annotations

import hashlib

import nacl.signing

from consensus.crypto import KeyPair
from consensus.primitives import Address, Signature
from node.sim.errors import DoubleSignRefusedError

SignKey = tuple[int, int, int]
"""(height, round, step) with step 1 = proposal, 2 = prevote, 3 = precommit."""


class Signer:
    """Signs votes and proposals for one validator."""

    __slots__ = ("_key", "_last", "_last_bytes", "_last_sig", "address", "guarded")

    def __init__(self, keypair: KeyPair, guarded: bool = True) -> None:
        self._key = nacl.signing.SigningKey(keypair.seed)
        self.address: Address = keypair.address
        self.guarded = guarded
        self._last: SignKey = (0, -1, 0)
        self._last_bytes = b""
        self._last_sig = b""

    def sign(self, key: SignKey, message: bytes) -> Signature:
        """Sign ``message`` at ``key``; an honest signer refuses (raises) on conflict."""
        if not self.guarded:
            return self._key.sign(message).signature
        if key == self._last and message == self._last_bytes:
            return self._last_sig
        if key <= self._last:
            raise DoubleSignRefusedError(
                f"refusing to sign at {key}: already signed at {self._last}"
            )
        signature: Signature = self._key.sign(message).signature
        self._last, self._last_bytes, self._last_sig = key, message, signature
        return signature

    def sign_unguarded(self, message: bytes) -> Signature:
        """Sign without any check (what a Byzantine validator does)."""
        return self._key.sign(message).signature


def derive_keypair(seed: int, index: int) -> KeyPair:
    """The key pair of validator ``index`` in the run of ``seed`` (deterministic)."""
    return KeyPair.from_seed(hashlib.sha256(f"deltachain-sim/{seed}/{index}".encode()).digest())
