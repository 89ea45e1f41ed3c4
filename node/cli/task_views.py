"""Tables for ``deltachain task``: the bundle an operator approves, and the task list."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from node.cli.common import print_json
from node.cli.humane import print_whole
from node.ops.app_source import AppSource, describe_app


def show_joined_bundle(task_id: int, found: AppSource, as_json: bool) -> None:
    """What the operator approves: the app's name, hash, config and every file's hash."""
    info = describe_app(found)
    if as_json:
        print_json({"task_id": task_id, **info})
        return
    out = Console()
    out.print(f"task {task_id} runs app {info['name']} {info['version']}")
    out.print(f"app_hash {info['app_hash']}")
    files = Table("file", "bytes", title="the code this node will run")
    files.add_column("sha256", overflow="fold")
    for entry in info["files"]:
        files.add_row(entry["name"], str(entry["size"]), entry["sha256"])
    out.print(files)


def show_tasks(rows: list[dict[str, Any]], out: Console | None = None) -> None:
    """The task list as a table on stdout (or ``out``), app hashes whole."""
    table = Table(
        "task", "app", "app hash", "version", "accuracy", "network accuracy", "pending",
        "trains here",
    )  # fmt: skip
    for row in rows:
        accuracy = "-" if row["accuracy"] is None else f"{row['accuracy']:.4f}"
        network = row.get("network_accuracy")
        network_text = "-" if network is None else f"{network:.4f} (v{row['network_version']})"
        app_hash = "(catalog model)" if row["app_hash"] is None else row["app_hash"]
        table.add_row(
            str(row["task_id"]),
            str(row["app"]),
            app_hash,
            str(row["version"]),
            accuracy,
            network_text,
            str(row["pending"]),
            "yes" if row["trains"] else "no",
        )
    print_whole(
        out or Console(), table, 2
    )  # the app hash is what `app inspect` and `task join` name
