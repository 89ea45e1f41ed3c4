"""Validator sets: quorum arithmetic and weighted round-robin proposer selection."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.validators import (
    Validator,
    ValidatorSet,
    advance_priorities,
    compute_validator_set,
    get_proposer,
)


def addr(i: int) -> bytes:
    return bytes([i]) * 32


def test_validators_quorum_is_strictly_more_than_two_thirds() -> None:
    vs = compute_validator_set({addr(1): 1, addr(2): 1, addr(3): 1})
    assert not vs.is_quorum(2)
    assert vs.is_quorum(3)
    assert vs.is_one_third(2) and not vs.is_one_third(1)


def test_validators_set_rejects_unsorted_or_powerless_members() -> None:
    with pytest.raises(ValueError, match="sorted"):
        ValidatorSet((Validator(addr(2), 1), Validator(addr(1), 1)))
    with pytest.raises(ValueError, match="positive"):
        ValidatorSet((Validator(addr(1), 0),))


def test_validators_zero_power_entries_are_dropped() -> None:
    vs = compute_validator_set({addr(1): 5, addr(2): 0})
    assert [v.address for v in vs.validators] == [addr(1)]


def test_validators_proposer_frequency_is_proportional_to_power() -> None:
    vs = compute_validator_set({addr(1): 10, addr(2): 20, addr(3): 30, addr(4): 40})
    counts: Counter[bytes] = Counter()
    for _ in range(1000):
        counts[get_proposer(vs, 0)] += 1
        vs = advance_priorities(vs)
    assert counts == {addr(1): 100, addr(2): 200, addr(3): 300, addr(4): 400}


def test_validators_rounds_rotate_the_proposer() -> None:
    vs = compute_validator_set({addr(i): 1 for i in range(1, 5)})
    assert len({get_proposer(vs, r) for r in range(4)}) == 4


def test_validators_newcomer_does_not_propose_at_once() -> None:
    vs = compute_validator_set({addr(i): 10 for i in range(1, 4)})
    for _ in range(5):
        vs = advance_priorities(vs)
    grown = compute_validator_set({**vs.powers, addr(9): 10}, previous=vs)
    assert get_proposer(grown, 0) != addr(9)


@given(
    st.dictionaries(st.integers(1, 60).map(addr), st.integers(1, 10**12), min_size=1, max_size=30)
)
@settings(max_examples=100)
def test_validators_priorities_stay_bounded_and_centred(powers: dict[bytes, int]) -> None:
    vs = compute_validator_set(powers)
    for _ in range(50):
        vs = advance_priorities(vs)
        priorities = [v.proposer_priority for v in vs.validators]
        assert max(priorities) - min(priorities) <= 2 * vs.total_power + len(priorities)
        assert abs(sum(priorities)) <= len(priorities) * len(priorities)
