"""Federated evaluation: each delta reports its sender's validation result for its base
version; the chain keeps the sample-weighted accuracy and loss of each recent version."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.errors import InvalidTransactionError
from consensus.ledger import process_transaction
from consensus.ledger.evaluation import (
    MAX_EVALUATED_VERSIONS,
    U64_MAX,
    compute_reported,
    record_evaluation,
)
from consensus.state import VersionEvaluation
from consensus.transactions import MAX_EVAL_LOSS_MICRO, MAX_EVAL_SAMPLES, Evaluation, ModelDelta
from tests.consensus.ledger.chain import SPEC, USERS, make_state, make_tx, reject, vector

CREATOR, WORKERS = USERS[0], USERS[1:]


def reported(base: int, evaluation: Evaluation | None) -> ModelDelta:
    return ModelDelta(1, base, b"\x22" * 32, 10, 32, evaluation)


def with_task():
    state = make_state()
    return process_transaction(state, make_tx(CREATOR, state, SPEC))


def test_evaluation_accuracy_is_weighted_by_samples():
    total = VersionEvaluation(3)
    for report in (Evaluation(100, 90, 300_000), Evaluation(300, 150, 700_000)):
        total = compute_reported(total, report)
    assert (total.reports, total.samples, total.correct) == (2, 400, 240)
    assert total.accuracy == pytest.approx(0.6)  # not the plain mean of 0.9 and 0.5 (0.7)
    assert total.loss == pytest.approx((100 * 0.3 + 300 * 0.7) / 400)


def test_evaluation_sums_saturate_instead_of_leaving_u64():
    huge = Evaluation(MAX_EVAL_SAMPLES, MAX_EVAL_SAMPLES, MAX_EVAL_LOSS_MICRO)
    total = VersionEvaluation(0)
    for _ in range(3):
        total = compute_reported(total, huge)
    assert total.loss_sum == U64_MAX
    assert total.samples == 3 * MAX_EVAL_SAMPLES


def test_evaluation_history_keeps_the_newest_versions_in_order():
    task = with_task().tasks[1]
    for version in (*range(MAX_EVALUATED_VERSIONS + 5), 2):
        task = record_evaluation(task, version, Evaluation(10, 5, 0))
    versions = [e.version for e in task.evaluations]
    assert versions == list(range(5, MAX_EVALUATED_VERSIONS + 5))  # version 2 came too late
    assert task.get_evaluation(2) is None
    assert task.get_evaluation(5) == VersionEvaluation(5, 1, 10, 5, 0)


@vector
def test_evaluation_reports_give_the_versions_sample_weighted_accuracy():
    state = with_task()
    for worker, report in zip(WORKERS, [Evaluation(100, 80, 500_000), None], strict=False):
        state = process_transaction(state, make_tx(worker, state, reported(0, report)))
    stx = make_tx(WORKERS[2], state, reported(0, Evaluation(50, 20, 900_000)))
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    (version,) = post.tasks[1].evaluations
    assert (version.version, version.reports, version.samples, version.correct) == (0, 2, 150, 100)
    assert version.accuracy == pytest.approx(100 / 150)
    yield "post", post


def test_evaluation_changes_the_state_hash():
    state = with_task()
    plain = process_transaction(state, make_tx(WORKERS[0], state, reported(0, None)))
    measured = process_transaction(
        state, make_tx(WORKERS[0], state, reported(0, Evaluation(10, 7, 1)))
    )
    assert plain.app_hash != measured.app_hash


def test_evaluation_of_a_stale_base_counts_for_that_version():
    state = with_task()
    task = dataclasses.replace(state.tasks[1], version=1)
    state = dataclasses.replace(state, tasks={1: task})
    post = process_transaction(state, make_tx(WORKERS[0], state, reported(0, Evaluation(4, 1, 0))))
    assert [e.version for e in post.tasks[1].evaluations] == [0]


@pytest.mark.parametrize(
    ("report", "match"),
    [
        (Evaluation(0, 0, 0), "samples"),
        (Evaluation(MAX_EVAL_SAMPLES + 1, 0, 0), "samples"),
        (Evaluation(10, 11, 0), "correct"),
        (Evaluation(10, 5, MAX_EVAL_LOSS_MICRO + 1), "loss_micro"),
    ],
)
@vector
def test_evaluation_impossible_reports_are_rejected(report, match):
    state = with_task()
    stx = make_tx(WORKERS[0], state, reported(0, report))
    yield from reject(state, stx, InvalidTransactionError, match)
