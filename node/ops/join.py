"""``task join``: the bundle a task names, and the approval written into ``config.toml``."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ml.apps.bundle import read_bundle
from ml.errors import MlError
from node.api.client import ApiClient
from node.errors import ConfigError
from node.learning.joins import JoinedTask, with_joined
from node.ops.app_source import AppSource
from node.ops.config import CONFIG_FILE, load_config, render_config
from node.storage.blobs import BlobStore


@dataclass(frozen=True)
class JoinRequest:
    """The node, the task, the exact app hash approved and the node's data path."""

    home: Path
    task_id: int
    app_hash: bytes
    data: Path


def fetch_task_bundle(home: Path, api_url: str, task_id: int) -> AppSource:
    """The task's bundle, from the node's blob store or its API, checked (never run).
    Raises ConfigError; API failures raise ApiError."""
    client = ApiClient(api_url)
    spec = client.get(f"/tasks/{task_id}")["spec"]
    if not spec.get("app"):
        raise ConfigError(f"task {task_id} trains catalog model {spec['model_id']}, not an app")
    app_hash = bytes.fromhex(spec["app"]["app_hash"])
    data = BlobStore(home / "data" / "blobs").get(app_hash)
    if data is None:
        data = client.get_bytes(f"/blobs/{app_hash.hex()}")
    try:
        bundle = read_bundle(data)
    except MlError as exc:
        raise ConfigError(f"task {task_id}'s bundle is refused: {exc}") from None
    if bundle.app_hash != app_hash:
        raise ConfigError(f"the node served a bundle that does not hash to {app_hash.hex()}")
    return AppSource(data, bundle)


def record_join(request: JoinRequest) -> Path:
    """Add (or replace) the task's entry in the node's config; returns the file written."""
    config = load_config(request.home)
    entry = JoinedTask(request.task_id, request.app_hash, str(request.data))
    updated = dataclasses.replace(config, tasks=with_joined(config.tasks, entry))
    path = request.home / CONFIG_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(render_config(updated), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_joined(home: Path) -> dict[int, str]:
    """Task id -> approved app hash (hex) of the node in ``home``."""
    return {j.task_id: j.app_hash.hex() for j in load_config(home).tasks}
