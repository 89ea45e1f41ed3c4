"""The tasks a node's operator joined: ``[[tasks]]`` entries of ``config.toml``.

Each entry approves one task's app by its exact hash and names the node's own data for it::

    [[tasks]]
    task_id = 2
    app_hash = "5f1c...e9"   # the bundle the operator reviewed (deltachain task join)
    data = "/srv/private/churn"

A node runs a task's code only for an entry whose ``app_hash`` is the task's. The trainer
re-reads the file when it changes, so a join takes effect without a restart.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.errors import ConfigError

HASH_HEX = 64


@dataclass(frozen=True)
class JoinedTask:
    """One approval: the task, the exact app hash approved, the node's data path."""

    task_id: int
    app_hash: bytes
    data: str


def parse_joined_tasks(raw: object) -> tuple[JoinedTask, ...]:
    """The ``[[tasks]]`` array; raises ConfigError naming the bad entry."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("tasks must be an array of tables ([[tasks]])")
    joined = tuple(_parse_entry(i, entry) for i, entry in enumerate(raw))
    ids = [j.task_id for j in joined]
    if len(set(ids)) != len(ids):
        raise ConfigError("tasks: a task id is joined twice")
    return joined


def _parse_entry(index: int, entry: object) -> JoinedTask:
    where = f"tasks[{index}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(entry) - {"task_id", "app_hash", "data"})
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(f'{where}.{k}' for k in unknown)}")
    task_id, app_hash, data = entry.get("task_id"), entry.get("app_hash"), entry.get("data", "")
    if isinstance(task_id, bool) or not isinstance(task_id, int) or not 1 <= task_id < 2**63:
        raise ConfigError(f"{where}.task_id must be a task id >= 1, got {task_id!r}")
    if not isinstance(app_hash, str) or len(app_hash) != HASH_HEX:
        raise ConfigError(f"{where}.app_hash must be {HASH_HEX} hex characters")
    try:
        digest = bytes.fromhex(app_hash)
    except ValueError:
        raise ConfigError(f"{where}.app_hash is not hexadecimal") from None
    if not isinstance(data, str) or not data.isprintable():
        raise ConfigError(f"{where}.data must be a path")
    return JoinedTask(task_id, digest, data)


def load_joined_tasks(config_path: Path) -> tuple[JoinedTask, ...]:
    """The joined tasks in a config file as it is now on disk; raises ConfigError."""
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_path} is unreadable: {exc}") from None
    return parse_joined_tasks(raw.get("tasks"))


def render_joined_tasks(joined: Sequence[JoinedTask]) -> str:
    """TOML text for the entries (appended to ``config.toml`` by ``render_config``)."""
    blocks = []
    for entry in joined:
        data = entry.data.replace("\\", "\\\\").replace('"', '\\"')
        blocks.append(
            f'[[tasks]]\ntask_id = {entry.task_id}\napp_hash = "{entry.app_hash.hex()}"\n'
            f'data = "{data}"\n'
        )
    return "\n".join(blocks)


def resolve_data_path(home: Path, entry: JoinedTask) -> str:
    """The entry's data path, relative ones taken from the node's home."""
    if not entry.data:
        return ""
    path = Path(entry.data).expanduser()
    return str(path if path.is_absolute() else home / path)


def with_joined(joined: Sequence[JoinedTask], entry: JoinedTask) -> tuple[JoinedTask, ...]:
    """``joined`` with ``entry`` added, replacing an earlier entry for the same task."""
    kept = tuple(j for j in joined if j.task_id != entry.task_id)
    return tuple(sorted((*kept, entry), key=lambda j: j.task_id))


def describe(entry: JoinedTask) -> dict[str, Any]:
    return {"task_id": entry.task_id, "app_hash": entry.app_hash.hex(), "data": entry.data}
