"""The simulated signer's double-sign guard and the caching verifier."""

from __future__ import annotations

import pytest

from consensus.crypto import verify_signature
from node.sim.errors import DoubleSignRefusedError
from node.sim.signer import Signer, derive_keypair
from node.sim.verifier import CachingVerifier


def test_signer_refuses_a_second_message_at_the_same_or_a_lower_step():
    signer = Signer(derive_keypair(0, 0))
    first = signer.sign((1, 0, 2), b"prevote A")
    assert signer.sign((1, 0, 2), b"prevote A") == first
    with pytest.raises(DoubleSignRefusedError):
        signer.sign((1, 0, 2), b"prevote B")
    signer.sign((1, 0, 3), b"precommit A")
    with pytest.raises(DoubleSignRefusedError):
        signer.sign((1, 0, 2), b"prevote A")


def test_unguarded_signer_signs_conflicting_messages():
    keypair = derive_keypair(0, 1)
    signer = Signer(keypair, guarded=False)
    a = signer.sign((1, 0, 2), b"prevote A")
    b = signer.sign((1, 0, 2), b"prevote B")
    assert verify_signature(keypair.address, b"prevote A", a)
    assert verify_signature(keypair.address, b"prevote B", b)


def test_derived_keys_depend_on_seed_and_index():
    assert derive_keypair(3, 1) == derive_keypair(3, 1)
    assert len({derive_keypair(s, i).address for s in range(3) for i in range(3)}) == 9


def test_caching_verifier_keeps_verdicts_and_counts_hits():
    keypair = derive_keypair(0, 0)
    good = Signer(keypair, guarded=False).sign((0, 0, 0), b"msg")
    bad = bytes([good[0] ^ 1]) + good[1:]
    verifier = CachingVerifier(max_entries=2)
    assert verifier(keypair.address, b"msg", good)
    assert verifier(keypair.address, b"msg", good)
    assert not verifier(keypair.address, b"msg", bad)
    assert not verifier(keypair.address, b"msg", bad)
    assert (verifier.hits, verifier.misses) == (2, 2)
    assert verifier(keypair.address, b"other", good) is False
    assert verifier(keypair.address, b"msg", good)
    assert verifier.misses == 4  # evicted: the cache holds two entries


def test_caching_verifier_needs_room():
    with pytest.raises(ValueError, match="at least one"):
        CachingVerifier(max_entries=0)
