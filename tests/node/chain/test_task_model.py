"""A task's model from the chain's point of view: layouts, rules and admission of new tasks."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.errors import InvalidTransactionError
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.ledger.genesis import compute_genesis_state
from ml.errors import LayoutError, SpecError, UnknownModelError
from ml.models import get_model_spec
from node.chain.task_model import (
    check_transaction,
    compute_task_rule,
    get_task_layout,
    validate_task_admission,
)
from tests.node.learning.app_chain import LAYOUT, make_app_task
from tests.node.learning.test_learning_on_finality import TASK

KEYS = list(make_keys(1, namespace=5))
STATE = compute_genesis_state(make_devnet_genesis("admit", KEYS, time_ms=1))
APP_TASK = dataclasses.replace(
    TASK, model_id="marker-app", app=make_app_task(b"bundle").to_task_app()
)


def test_task_model_layouts_for_catalog_and_app_tasks() -> None:
    assert get_task_layout(TASK) == get_model_spec("logreg-digits").layout
    assert get_task_layout(APP_TASK) == LAYOUT
    rule = compute_task_rule(APP_TASK)
    assert rule.model_id == LAYOUT.layout_hash.hex() and rule.get_layout() == LAYOUT
    assert APP_TASK.app is not None
    wrong = dataclasses.replace(APP_TASK.app, layout_hash=bytes(32))
    with pytest.raises(LayoutError):
        get_task_layout(dataclasses.replace(APP_TASK, app=wrong))


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"aggregation": {"rule": "krum", "f": 1}, "min_deltas": 3}, SpecError),
        ({"aggregation": {"rule": "multi_krum", "f": 0, "m": 5}, "min_deltas": 4}, SpecError),
        ({"aggregation": {"rule": "nope"}}, SpecError),
    ],
)
def test_task_model_impossible_tasks_are_refused(changes: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        validate_task_admission(dataclasses.replace(APP_TASK, **changes))  # type: ignore[arg-type]
    validate_task_admission(dataclasses.replace(APP_TASK, aggregation={"rule": "krum", "f": 1},
                                                min_deltas=5))  # fmt: skip


def test_task_model_mempool_check_gives_the_reason() -> None:
    unknown = dataclasses.replace(TASK, model_id="no-such-model")
    with pytest.raises(UnknownModelError):
        validate_task_admission(unknown)
    for body, reason in (
        (unknown, "unknown model id"),
        (dataclasses.replace(APP_TASK, aggregation={"rule": "krum", "f": 2}), "never aggregate"),
    ):
        stx = sign_transaction(KEYS[0], "admit", 0, body)
        with pytest.raises(InvalidTransactionError, match=f"impossible task: .*{reason}"):
            check_transaction(STATE, stx)
    fine = check_transaction(STATE, sign_transaction(KEYS[0], "admit", 0, APP_TASK))
    assert fine.tasks[1].spec == APP_TASK
