"""Error feedback for lossy codecs (top-k above all): what a round drops is added next round.

Functional: `encode_with_feedback` returns the bytes and the next residual; the caller keeps the
residual between rounds (it is the node's own state and never leaves it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.codec.delta import CodecConfig, decode_delta, encode_delta
from ml.errors import CodecError
from ml.types import Float32Array, ModelId, Shape


@dataclass(frozen=True, eq=False)
class ErrorFeedback:
    """The residual the codec has not sent yet (float32, same size as the delta)."""

    residual: Float32Array

    @staticmethod
    def zeros(num_params: int) -> ErrorFeedback:
        return ErrorFeedback(np.zeros(num_params, dtype=np.float32))


def encode_with_feedback(
    values: Float32Array,
    model_id: ModelId,
    shapes: tuple[Shape, ...],
    config: CodecConfig,
    feedback: ErrorFeedback,
) -> tuple[bytes, ErrorFeedback]:
    """Encode `values + residual`; the part the codec lost becomes the next residual."""
    if feedback.residual.shape != values.shape:
        raise CodecError(f"residual {feedback.residual.shape} does not match {values.shape}")
    corrected = (values + feedback.residual).astype(np.float32)
    blob = encode_delta(corrected, model_id, shapes, config)
    sent = decode_delta(blob).values
    return blob, ErrorFeedback((corrected - sent).astype(np.float32))
