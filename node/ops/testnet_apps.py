"""The app side of ``testnet create``: each node's own data folder and its join entry.

With ``--data`` given once per node (in order), node i trains on that path; nodes beyond the
list do not join (they follow the chain). Without ``--data``, the digits-mlp app gets each
node's shard of the bundled digits written into the node's home as ``private-data/``
(``train.npz``, and the fixed digits test split as ``validation.npz``), so the demo's numbers
stay comparable; any other app needs ``--data``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.data.datasets import load_digits_split
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.data.split_files import SplitOptions, split_data
from ml.errors import DataError
from node.errors import ConfigError
from node.learning.joins import JoinedTask
from node.ops.app_task import AppTask

DIGITS_APP = "digits-mlp"
PRIVATE_DATA = "private-data"


def validate_data_paths(app: AppTask, data: Sequence[str], validators: int) -> None:
    """Raise ConfigError when the nodes would have no data to train on."""
    if len(data) > validators:
        raise ConfigError(f"--data given {len(data)} times for {validators} validators")
    if not data and app.name != DIGITS_APP:
        raise ConfigError(f"app {app.name} needs --data PATH once per node (in node order)")
    for path in data:
        if not Path(path).exists():
            raise ConfigError(f"data path {path} does not exist")


def split_for_nodes(
    source: Path, directory: Path, shard: tuple[str, int, float], label: str
) -> tuple[str, ...]:
    """Cut ``source`` (as ``data split`` does) into ``directory/node0 ...``, one per node;
    the folders' paths in node order. ``shard``: (scheme, nodes, alpha)."""
    scheme, nodes, alpha = shard
    try:
        split_data(source, directory, SplitOptions(nodes, scheme, alpha, 0, label))
    except (DataError, OSError) as exc:
        raise ConfigError(f"cannot split {source} for the nodes: {exc}") from None
    return tuple(str((directory / f"node{i}").resolve()) for i in range(nodes))


def prepare_node_data(
    app: AppTask,
    data: Sequence[str],
    home: Path,
    index: int,
    shard: tuple[str, int, float],
) -> tuple[JoinedTask, ...]:
    """Node ``index``'s join entry for the genesis task (task 1), writing its digits shard
    first when the digits app runs without ``--data``. ``shard``: (scheme, nodes, alpha)."""
    if data:
        if index >= len(data):
            return ()
        return (JoinedTask(1, app.app_hash, str(Path(data[index]).resolve())),)
    folder = home / PRIVATE_DATA
    write_digits_shard(folder, index, shard)
    return (JoinedTask(1, app.app_hash, PRIVATE_DATA),)


def write_digits_shard(folder: Path, index: int, shard: tuple[str, int, float]) -> None:
    """The node's digits shard (as the catalog task's trainer computes it) and the test split."""
    scheme_name, nodes, alpha = shard
    scheme: Scheme = "dirichlet" if scheme_name == "dirichlet" else "iid"
    digits = load_digits_split()
    part = compute_shard(digits.train, ShardSpec(scheme, nodes, index, 0, alpha))
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "train.npz", x=part.x, y=part.y)
    np.savez(folder / "validation.npz", x=digits.test.x, y=digits.test.y)
