"""A task's model from the chain's point of view: layouts, rules and admission of new tasks."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.encoding import decode, encode
from consensus.errors import DecodeError, InvalidTransactionError
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.ledger.genesis import compute_genesis_state
from consensus.transactions import CreateTask, SignedTransaction, Transfer
from ml.aggregation.spec import MAX_MIN_DELTAS, MAX_SERVER_LR, RULES
from ml.errors import LayoutError, SpecError, UnknownModelError
from ml.models import get_model_spec
from node.chain.task_model import (
    check_transaction,
    compute_task_rule,
    get_task_layout,
    validate_block_tasks,
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


HUGE_OR_NOT_FINITE = (2**63, 2**64 - 1, -(2**63), math.nan, math.inf, -math.inf, 1e308)


RULE_PARAMS = [
    ("krum", "f"),
    ("multi_krum", "m"),
    ("trimmed_mean", "beta"),
    ("fedavg", "server_lr"),
    ("median", "staleness_exponent"),
]


@pytest.mark.parametrize("value", HUGE_OR_NOT_FINITE)
@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_task_model_huge_or_non_finite_rule_params_are_refused_with_the_reason(
    rule: tuple[str, str], value: float
) -> None:
    name, key = rule
    body = dataclasses.replace(TASK, aggregation={"rule": name, key: value})
    reason = rf"impossible task: .*({key}|never aggregate)"
    for stx in get_as_submitted(body):
        with pytest.raises(InvalidTransactionError, match=reason):
            check_transaction(STATE, stx)


def get_as_submitted(body: CreateTask) -> list[SignedTransaction]:
    """The signed task as a local caller holds it, and as a peer or the API decodes it (the
    wire refuses non-finite floats and ints below -2**63 itself)."""
    stx = sign_transaction(KEYS[0], "admit", 0, body)
    try:
        return [stx, decode(SignedTransaction, encode(stx))]
    except DecodeError:
        return [stx]


@pytest.mark.parametrize("min_deltas", [MAX_MIN_DELTAS + 1, 2**63, 2**64 - 1])
def test_task_model_a_task_waiting_for_too_many_deltas_is_refused(min_deltas: int) -> None:
    rules: list[dict[str, int | float | str]] = [{"rule": "fedavg"}, {"rule": "krum", "f": 2**62}]
    for aggregation in rules:
        body = dataclasses.replace(TASK, aggregation=aggregation, min_deltas=min_deltas)
        with pytest.raises(InvalidTransactionError, match=r"min_deltas .* never aggregate"):
            check_transaction(STATE, sign_transaction(KEYS[0], "admit", 0, body))
    edge = dataclasses.replace(TASK, min_deltas=MAX_MIN_DELTAS)
    assert check_transaction(STATE, sign_transaction(KEYS[0], "admit", 0, edge)).tasks[1]


def test_task_model_block_tasks_name_the_first_impossible_one() -> None:
    fine = sign_transaction(KEYS[0], "admit", 0, APP_TASK)
    transfer = sign_transaction(KEYS[0], "admit", 1, Transfer(KEYS[0].address, 1))
    bad = sign_transaction(KEYS[0], "admit", 2, dataclasses.replace(TASK, model_id="nope"))
    validate_block_tasks((fine, transfer))
    with pytest.raises(InvalidTransactionError, match=r"impossible task: .*nope"):
        validate_block_tasks((fine, transfer, bad))


RULE_VALUES = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(
    rule=st.sampled_from([*RULES, "nope"]),
    params=st.dictionaries(
        st.sampled_from(["f", "m", "beta", "server_lr", "staleness_exponent", "x"]), RULE_VALUES
    ),
    min_deltas=st.one_of(st.integers(0, 12), st.integers(0, 2**64 - 1)),
)
def test_task_model_admission_raises_only_the_expected_error(
    rule: str, params: dict[str, int | float | str], min_deltas: int
) -> None:
    body = dataclasses.replace(TASK, aggregation={"rule": rule, **params}, min_deltas=min_deltas)
    for stx in get_as_submitted(body):
        try:
            state = check_transaction(STATE, stx)
        except InvalidTransactionError:
            continue
        spec = compute_task_rule(state.tasks[1].spec)  # admitted: the learning layer runs it
        assert spec.required_deltas <= min_deltas <= MAX_MIN_DELTAS
        assert 0 < spec.server_lr <= MAX_SERVER_LR and math.isfinite(spec.beta)
