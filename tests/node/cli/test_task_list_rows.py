"""``task list``'s "trains here": an app task this node joined (that exact app hash), or the
catalog task 1 when the node's ``[training]`` is on; and the app hash printed whole."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich.console import Console

from node.cli.task_cmds import _task_row
from node.cli.task_views import show_tasks

APP_HASH = "ab" * 32


def _task(task_id: int, app_hash: str | None) -> dict[str, Any]:
    app = {"app_hash": app_hash} if app_hash else None
    return {"task_id": task_id, "spec": {"model_id": "m", "app": app}, "version": 3,
            "pending": 0, "evaluations": []}  # fmt: skip


def test_catalog_task_is_trained_where_training_is_on() -> None:
    assert _task_row(_task(1, None), [], {}, trains_catalog=True)["trains"]
    assert not _task_row(_task(1, None), [], {}, trains_catalog=False)["trains"]
    assert not _task_row(_task(2, None), [], {}, trains_catalog=True)["trains"]


def test_app_task_is_trained_only_for_the_joined_hash() -> None:
    assert _task_row(_task(2, APP_HASH), [], {2: APP_HASH})["trains"]
    assert not _task_row(_task(2, APP_HASH), [], {2: "cd" * 32}, trains_catalog=True)["trains"]


def test_task_list_prints_the_app_hash_whole_on_a_narrow_terminal() -> None:
    buffer = StringIO()
    narrow = Console(file=buffer, width=60, color_system=None)
    show_tasks([_task_row(_task(2, APP_HASH), [], {2: APP_HASH})], narrow)
    assert APP_HASH in buffer.getvalue()
