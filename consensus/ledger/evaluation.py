"""Federated evaluation: each model delta reports its sender's validation result for the
delta's base version; the chain keeps, per version, the sums that give the sample-weighted
mean accuracy and loss over all reports.

Integer sums make the result independent of float rounding; a task keeps the newest
``MAX_EVALUATED_VERSIONS`` versions (reports for an older version are not counted).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from consensus.errors import InvalidTransactionError
from consensus.state import Task, VersionEvaluation
from consensus.transactions import MAX_EVAL_LOSS_MICRO, MAX_EVAL_SAMPLES, Evaluation

MAX_EVALUATED_VERSIONS: Final = 64
U64_MAX: Final = 2**64 - 1


def validate_evaluation(evaluation: Evaluation) -> None:
    """Raise :class:`InvalidTransactionError` unless the report's figures are possible."""
    if not 1 <= evaluation.samples <= MAX_EVAL_SAMPLES:
        raise InvalidTransactionError(f"evaluation samples must be in [1, {MAX_EVAL_SAMPLES}]")
    if evaluation.correct > evaluation.samples:
        raise InvalidTransactionError("evaluation counts more correct samples than samples")
    if evaluation.loss_micro > MAX_EVAL_LOSS_MICRO:
        raise InvalidTransactionError(f"evaluation loss_micro exceeds {MAX_EVAL_LOSS_MICRO}")


def compute_reported(total: VersionEvaluation, report: Evaluation) -> VersionEvaluation:
    """``total`` with one more report counted."""
    return dataclasses.replace(
        total,
        reports=min(total.reports + 1, U64_MAX),
        samples=min(total.samples + report.samples, U64_MAX),
        correct=min(total.correct + report.correct, U64_MAX),
        loss_sum=min(total.loss_sum + report.samples * report.loss_micro, U64_MAX),
    )


def record_evaluation(task: Task, version: int, report: Evaluation) -> Task:
    """The task with ``report`` counted for ``version``; versions stay sorted and only the
    newest ``MAX_EVALUATED_VERSIONS`` are kept."""
    by_version = {e.version: e for e in task.evaluations}
    total = by_version.get(version, VersionEvaluation(version))
    by_version[version] = compute_reported(total, report)
    kept = sorted(by_version)[-MAX_EVALUATED_VERSIONS:]
    return dataclasses.replace(task, evaluations=tuple(by_version[v] for v in kept))
