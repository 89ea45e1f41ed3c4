"""A caching signature verifier: each distinct (key, message, signature) is checked once.

Every simulated node verifies the same broadcast signatures; sharing one cache across the nodes
of a run turns N Ed25519 verifications per message into one. The cache is bounded (oldest
entries are evicted first) and never changes a verdict, only how often it is computed.
"""

from __future__ import annotations

from consensus.crypto import Verifier, verify_signature
from consensus.primitives import Address, Signature


class CachingVerifier:
    """Callable with the ``Verifier`` signature; counts hits and misses."""

    __slots__ = ("_cache", "_inner", "_max_entries", "hits", "misses")

    def __init__(self, inner: Verifier = verify_signature, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("the cache needs room for at least one entry")
        self._inner = inner
        self._max_entries = max_entries
        self._cache: dict[tuple[Address, bytes, Signature], bool] = {}
        self.hits = 0
        self.misses = 0

    def __call__(self, address: Address, message: bytes, signature: Signature) -> bool:
        key = (address, message, signature)
        verdict = self._cache.get(key)
        if verdict is not None:
            self.hits += 1
            return verdict
        self.misses += 1
        verdict = self._inner(address, message, signature)
        if len(self._cache) >= self._max_entries:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = verdict
        return verdict
