"""Tasks that name a learning app: the chain checks the layout and its hash, never the code."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.encoding import decode, encode
from consensus.errors import InvalidTransactionError
from consensus.ledger import process_transaction
from consensus.ledger.task_app import compute_layout_hash
from consensus.transactions import CreateTask, LayoutTensor, TaskApp
from ml.layout import LayoutEntry
from ml.layout import compute_layout_hash as compute_ml_layout_hash
from tests.consensus.ledger.chain import SPEC, USERS, make_state, make_tx, reject, vector

LAYOUT = (LayoutTensor("0.weight", (32, 4)), LayoutTensor("0.bias", (32,)))
APP = TaskApp(b"\x42" * 32, compute_layout_hash(LAYOUT), LAYOUT, {"lr": 0.05, "adam": True})
APP_SPEC = dataclasses.replace(SPEC, model_id="tabular-mlp", app=APP)


@vector
def test_task_app_task_is_created_with_its_app():
    state = make_state()
    stx = make_tx(USERS[0], state, APP_SPEC)
    yield "pre", state
    yield "tx", stx
    post = process_transaction(state, stx)
    assert post.tasks[1].spec.app == APP
    yield "post", post


def test_task_app_create_task_round_trips_through_the_wire() -> None:
    assert decode(CreateTask, encode(APP_SPEC)) == APP_SPEC
    assert decode(CreateTask, encode(SPEC)) == SPEC


def test_task_app_layout_hash_is_the_learning_layers() -> None:
    for layout in (LAYOUT, (LayoutTensor("w", ()),), (LayoutTensor("a.b", (1, 2, 3)),)):
        entries = [LayoutEntry(t.name, tuple(t.shape)) for t in layout]
        assert compute_layout_hash(layout) == compute_ml_layout_hash(entries)


@pytest.mark.parametrize(
    ("app", "match"),
    [
        (dataclasses.replace(APP, app_hash=bytes(32)), "hash of its bundle"),
        (dataclasses.replace(APP, layout=(), layout_hash=compute_layout_hash(())), "no tensor"),
        (dataclasses.replace(APP, layout_hash=b"\x01" * 32), "layout_hash"),
        (
            TaskApp(APP.app_hash, b"", (LAYOUT[0], LAYOUT[0]), {}),
            "twice",
        ),
        (
            TaskApp(APP.app_hash, b"", (LayoutTensor("w", (0, 3)),), {}),
            "below 1",
        ),
        (
            TaskApp(APP.app_hash, b"", (LayoutTensor("w", (1 << 20, 1 << 20)),), {}),
            "exceeds",
        ),
        (TaskApp(APP.app_hash, b"", (LayoutTensor("w\n", (1,)),), {}), "printable"),
        (dataclasses.replace(APP, config={"not a name": 1}), "config"),
    ],
)
@vector
def test_task_app_bad_apps_are_rejected(app: TaskApp, match: str):
    if not app.layout_hash:
        app = dataclasses.replace(app, layout_hash=compute_layout_hash(app.layout))
    state = make_state()
    stx = make_tx(USERS[0], state, dataclasses.replace(APP_SPEC, app=app))
    yield from reject(state, stx, InvalidTransactionError, match)
