"""A training job's measurement of its base version, as the report a model delta carries
(federated evaluation: integers the chain can sum the same way on every node)."""

from __future__ import annotations

import math

from consensus.transactions import LOSS_SCALE, MAX_EVAL_LOSS_MICRO, MAX_EVAL_SAMPLES, Evaluation
from ml.training.config import Metrics


def compute_evaluation_report(metrics: Metrics | None) -> Evaluation | None:
    """The report for ``metrics`` measured on ``metrics.samples`` validation samples, or None
    when nothing was measured. Accuracy becomes a count of correct samples; the loss is sent
    in millionths, capped (a NaN or infinite loss is sent as the cap)."""
    if metrics is None or metrics.samples < 1:
        return None
    samples = min(metrics.samples, MAX_EVAL_SAMPLES)
    accuracy = metrics.accuracy if math.isfinite(metrics.accuracy) else 0.0
    correct = round(min(max(accuracy, 0.0), 1.0) * samples)
    loss = metrics.loss if math.isfinite(metrics.loss) else math.inf
    loss_micro = MAX_EVAL_LOSS_MICRO
    if loss * LOSS_SCALE < MAX_EVAL_LOSS_MICRO:
        loss_micro = round(max(loss, 0.0) * LOSS_SCALE)
    return Evaluation(samples=samples, correct=correct, loss_micro=loss_micro)
