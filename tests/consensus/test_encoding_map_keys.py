"""Map keys in decoded CBOR are scalars or flat arrays of scalars, as everything we encode."""

from __future__ import annotations

import cbor2
import pytest

from consensus.encoding import decode_plain
from consensus.errors import DecodeError


def test_decode_plain_refuses_a_map_as_a_map_key() -> None:
    data = bytes([0xA1]) * 3 + b"\x01\x02" * 3  # {{{1: 2}: 2}: 2}
    with pytest.raises(DecodeError, match="error decoding map"):
        decode_plain(data)


def test_decode_plain_keeps_scalar_and_flat_array_keys() -> None:
    value = {1: b"a", "k": 2, b"\x01": [3], (1, "x"): 4}
    data = cbor2.dumps(value, canonical=True)
    assert decode_plain(data) == value
