"""Decoded CBOR is plain data: no tags, and map keys are scalars or flat arrays of scalars."""

from __future__ import annotations

import cbor2
import pytest

from consensus.encoding import decode_plain
from consensus.errors import DecodeError


def test_decode_plain_refuses_a_map_as_a_map_key() -> None:
    data = bytes([0xA1]) * 3 + b"\x01\x02" * 3  # {{{1: 2}: 2}: 2}
    with pytest.raises(DecodeError, match="map key of type frozendict is not a scalar"):
        decode_plain(data)


def test_decode_plain_keeps_scalar_and_flat_array_keys() -> None:
    value = {1: b"a", "k": 2, b"\x01": [3], (1, "x"): 4}
    data = cbor2.dumps(value, canonical=True)
    assert decode_plain(data) == value


@pytest.mark.parametrize(
    "value",
    [
        cbor2.CBORTag(5, [1_000_000, 3]),  # a bigfloat: 3 * 2**1000000
        cbor2.CBORTag(4, [-(10**8), 3]),  # a decimal fraction
        cbor2.CBORTag(2, b"\x01" * 40),  # a bignum
        cbor2.CBORTag(35, "a+"),  # a regular expression
        cbor2.CBORTag(1, 1.5),  # an epoch date
    ],
)
def test_decode_plain_refuses_tagged_values(value: object) -> None:
    data = cbor2.dumps([1, value])
    with pytest.raises(DecodeError):
        decode_plain(data)
