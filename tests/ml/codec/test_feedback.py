import numpy as np
import pytest

from ml.codec.delta import CodecConfig, decode_delta
from ml.codec.feedback import ErrorFeedback, encode_with_feedback
from ml.errors import CodecError

SHAPES = ((10, 10),)
TOPK = CodecConfig("topk", 0.05)


def test_feedback_sent_plus_residual_equals_everything_offered():
    rng = np.random.default_rng(3)
    feedback = ErrorFeedback.zeros(100)
    offered = np.zeros(100)
    sent = np.zeros(100)
    for _ in range(20):
        delta = rng.standard_normal(100).astype(np.float32)
        blob, feedback = encode_with_feedback(delta, "m", SHAPES, TOPK, feedback)
        offered += delta
        sent += decode_delta(blob).values
    np.testing.assert_allclose(sent + feedback.residual, offered, atol=1e-4)


def test_feedback_eventually_sends_a_constant_delta_in_full():
    delta = np.linspace(0.1, 1.0, 100).astype(np.float32)
    feedback = ErrorFeedback.zeros(100)
    rounds = 300
    sent = np.zeros(100)
    for _ in range(rounds):
        blob, feedback = encode_with_feedback(delta, "m", SHAPES, TOPK, feedback)
        sent += decode_delta(blob).values
    # without feedback the smallest coordinates would never be sent at all
    assert np.min(sent) > 0.5 * rounds * 0.1
    np.testing.assert_allclose(sent.sum(), rounds * delta.sum(), rtol=0.1)


def test_feedback_rejects_a_residual_of_another_size():
    with pytest.raises(CodecError, match="residual"):
        encode_with_feedback(np.ones(100, np.float32), "m", SHAPES, TOPK, ErrorFeedback.zeros(5))
