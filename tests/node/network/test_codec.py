"""Request/response encoding: round trips, and every malformed input is a specific error."""

import contextlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.network import codec
from node.network.codec import BlobRequest, BlocksRequest, Code
from node.network.errors import MalformedFrameError
from node.network.values import Status


def test_codec_blob_request_round_trip() -> None:
    request = BlobRequest(b"\x01" * 32, 8 << 20)
    assert codec.decode_blob_request(codec.encode_blob_request(request)) == request


@given(st.integers(0, 2**62), st.integers(0, 2**20))
def test_codec_blocks_request_round_trip(start: int, length: int) -> None:
    request = BlocksRequest(start, start + length)
    assert codec.decode_blocks_request(codec.encode_blocks_request(request)) == request


@given(st.text(), st.binary(max_size=64), st.integers(0, 2**63 - 1))
def test_codec_status_round_trip(chain: str, genesis: bytes, height: int) -> None:
    status = Status(chain, genesis, height)
    assert codec.decode_status(codec.encode_status(status)) == status


@given(st.lists(st.binary(max_size=100), max_size=20))
def test_codec_blocks_round_trip(items: list[bytes]) -> None:
    assert codec.decode_blocks(codec.encode_blocks(items)) == items


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\x00",
        cbor2.dumps([1, 2]),
        cbor2.dumps({"hash": b"\x01" * 31, "max": 5}),
        cbor2.dumps({"hash": b"\x01" * 32, "max": -1}),
        cbor2.dumps({"hash": b"\x01" * 32, "max": True}),
        cbor2.dumps({"hash": b"\x01" * 32, "max": 5, "extra": 1}),
        cbor2.dumps({"hash": b"\x01" * 32, "max": 2**64}),
    ],
)
def test_codec_bad_blob_requests_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedFrameError):
        codec.decode_blob_request(data)


@pytest.mark.parametrize(
    "data",
    [cbor2.dumps({"start": 5, "end": 4}), cbor2.dumps({"start": "1", "end": 4}), b"\x1f"],
)
def test_codec_bad_blocks_requests_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedFrameError):
        codec.decode_blocks_request(data)


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (codec.decode_response, b""),
        (codec.decode_response, b"\x09body"),
        (codec.decode_blocks, cbor2.dumps([b"ok", "text"])),
        (codec.decode_blocks, cbor2.dumps({"a": 1})),
        (codec.decode_status, cbor2.dumps({"chain": 1, "genesis": b"", "height": 0})),
        (codec.decode_status_request, cbor2.dumps({"x": 1})),
    ],
)
def test_codec_bad_responses_are_malformed(decode, data: bytes) -> None:
    with pytest.raises(MalformedFrameError):
        decode(data)


@given(st.binary(max_size=200))
def test_codec_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    for decode in (codec.decode_blob_request, codec.decode_blocks_request, codec.decode_status):
        with contextlib.suppress(MalformedFrameError):
            decode(data)


def test_codec_response_code_round_trip() -> None:
    assert codec.decode_response(codec.encode_response(Code.TOO_LARGE, b"x")) == (
        Code.TOO_LARGE,
        b"x",
    )
