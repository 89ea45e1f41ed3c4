import contextlib
import hashlib
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ml.codec.delta import CodecConfig, decode_delta, encode_delta
from ml.codec.header import CodecKind, DeltaHeader, pack_header, parse_header
from ml.errors import CodecError
from ml.models import get_model_spec

MLP = get_model_spec("mlp-digits")
SHAPES = ((3, 4), (5,))

finite32 = st.floats(-1e4, 1e4, width=32, allow_nan=False, allow_infinity=False)
vectors = hnp.arrays(np.float32, 17, elements=finite32)


def _blob(codec: str = "float32", values: np.ndarray | None = None) -> bytes:
    if values is None:
        values = np.linspace(-1, 1, 17, dtype=np.float32)
    return encode_delta(values, "mlp-digits", SHAPES, CodecConfig(codec))  # type: ignore[arg-type]


def _with_payload(codec: CodecKind, payload: bytes, shapes=SHAPES, model_id="mlp-digits") -> bytes:
    digest = hashlib.sha256(payload).digest()
    return pack_header(DeltaHeader(codec, model_id, shapes, len(payload), digest)) + payload


@given(vectors)
def test_delta_float32_round_trip_is_exact(values):
    decoded = decode_delta(_blob("float32", values))
    assert decoded.values.tobytes() == values.tobytes()
    assert decoded.shapes == SHAPES
    assert decoded.model_id == "mlp-digits"
    assert decoded.codec is CodecKind.FLOAT32


@given(vectors)
def test_delta_float16_round_trip_within_half_precision(values):
    decoded = decode_delta(_blob("float16", values)).values
    np.testing.assert_allclose(decoded, values, rtol=2**-10, atol=2**-14)


@given(vectors)
def test_delta_int8_error_bounded_by_half_a_step_per_tensor(values):
    decoded = decode_delta(_blob("int8", values)).values
    for part, got in ((slice(0, 12), decoded[:12]), (slice(12, 17), decoded[12:])):
        step = float(np.max(np.abs(values[part]))) / 127
        assert np.max(np.abs(got - values[part])) <= step * 0.5 + 1e-6 * step + 1e-30


@given(vectors, st.floats(0.01, 1.0))
def test_delta_topk_keeps_the_largest_magnitudes(values, fraction):
    blob = encode_delta(values, "mlp-digits", SHAPES, CodecConfig("topk", fraction))
    decoded = decode_delta(blob).values
    kept = np.flatnonzero(decoded)
    k = math.ceil(17 * fraction)
    assert len(kept) <= k
    np.testing.assert_array_equal(decoded[kept], values[kept])
    dropped = np.setdiff1d(np.arange(17), kept)
    if len(dropped) and len(kept):
        assert np.max(np.abs(values[dropped])) <= np.min(np.abs(values[kept]))


@pytest.mark.parametrize(("codec", "ratio"), [("float16", 0.5), ("int8", 0.25), ("topk", 0.02)])
def test_delta_codecs_shrink_the_payload(codec, ratio):
    values = np.random.default_rng(1).standard_normal(MLP.num_params).astype(np.float32)
    full = encode_delta(values, MLP.model_id, MLP.shapes, CodecConfig("float32"))
    small = encode_delta(values, MLP.model_id, MLP.shapes, CodecConfig(codec))
    assert len(small) / len(full) < ratio + 0.01


def test_delta_header_carries_hash_of_payload():
    blob = _blob()
    header, start = parse_header(blob)
    assert header.payload_hash == hashlib.sha256(blob[start:]).digest()
    assert header.payload_size == len(blob) - start == 17 * 4


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_delta_random_bytes_raise_only_codec_error(data):
    with pytest.raises(CodecError):
        decode_delta(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["float32", "float16", "int8", "topk"]), st.data())
def test_delta_corrupted_bytes_raise_only_codec_error(codec, data):
    blob = bytearray(_blob(codec))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_delta(bytes(blob))
    except CodecError:
        return
    assert np.isfinite(decoded.values).all()  # a flip in an unchecked byte still decodes cleanly


def test_delta_every_truncation_raises_codec_error():
    blob = _blob("int8")
    for end in range(len(blob)):
        with pytest.raises(CodecError):
            decode_delta(blob[:end])


def test_delta_trailing_bytes_raise_codec_error():
    with pytest.raises(CodecError, match="payload is"):
        decode_delta(_blob() + b"\0")


def test_delta_payload_hash_mismatch_raises_codec_error():
    blob = bytearray(_blob())
    blob[-1] ^= 1
    with pytest.raises(CodecError, match="hash"):
        decode_delta(bytes(blob))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_delta_non_finite_float32_payload_raises_codec_error(bad):
    values = np.zeros(17, dtype="<f4")
    values[5] = bad
    with pytest.raises(CodecError, match="NaN or Inf"):
        decode_delta(_with_payload(CodecKind.FLOAT32, values.tobytes()))


def test_delta_non_finite_int8_scale_raises_codec_error():
    payload = np.asarray([math.nan, 1.0], dtype="<f4").tobytes() + bytes(17)
    with pytest.raises(CodecError, match="scale"):
        decode_delta(_with_payload(CodecKind.INT8, payload))


def test_delta_topk_unsorted_indices_raise_codec_error():
    payload = struct.pack("<I3I3f", 3, 4, 2, 9, 1.0, 2.0, 3.0)
    with pytest.raises(CodecError, match="strictly increasing"):
        decode_delta(_with_payload(CodecKind.TOPK, payload))


def test_delta_topk_index_out_of_range_raises_codec_error():
    payload = struct.pack("<I2I2f", 2, 3, 17, 1.0, 2.0)
    with pytest.raises(CodecError, match="out of range"):
        decode_delta(_with_payload(CodecKind.TOPK, payload))


def test_delta_oversized_claims_raise_codec_error():
    blob = _with_payload(CodecKind.FLOAT32, bytes(8), shapes=((2**31, 2**31),))
    with pytest.raises(CodecError, match="limit"):
        decode_delta(blob)
    with pytest.raises(CodecError, match="exceeds"):
        decode_delta(_blob(), max_bytes=64)
    with pytest.raises(CodecError, match="limit"):
        decode_delta(_blob(), max_params=16)


def test_delta_unknown_version_and_codec_raise_codec_error():
    blob = bytearray(_blob())
    blob[4] = 2
    with pytest.raises(CodecError, match="version"):
        decode_delta(bytes(blob))
    blob[4], blob[5] = 1, 9
    with pytest.raises(CodecError, match="codec id"):
        decode_delta(bytes(blob))


@pytest.mark.parametrize(
    "values",
    [
        np.array([1.0, np.nan], dtype=np.float32),
        np.ones(3, dtype=np.float64),
        np.ones(4, np.float32),
    ],
)
def test_delta_encode_refuses_bad_values(values):
    with pytest.raises(CodecError):
        encode_delta(values, "mlp-digits", ((2,),), CodecConfig())


def test_delta_encode_float16_overflow_raises_codec_error():
    with pytest.raises(CodecError, match="float16"):
        encode_delta(np.full(2, 1e5, np.float32), "m", ((2,),), CodecConfig("float16"))


def test_delta_codec_config_rejects_unknown_names_and_fractions():
    with pytest.raises(CodecError):
        CodecConfig("bfloat16")  # type: ignore[arg-type]
    with pytest.raises(CodecError):
        CodecConfig("topk", 0.0)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["float32", "int8", "topk"]), st.data())
def test_delta_explicit_checks_catch_corruption_without_the_safety_net(codec, data):
    from ml.codec.delta import _decode

    blob = bytearray(_blob(codec))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(blob) - 1))
        blob[position] = data.draw(st.integers(0, 255))
    end = data.draw(st.integers(0, len(blob)))
    with contextlib.suppress(CodecError):
        _decode(bytes(blob[:end]), 2**20, 2**24)
