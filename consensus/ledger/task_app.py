"""The structural rules of a task's learning app: a usable layout, its hash, a plain config.

``compute_layout_hash`` is the SHA-256 of the canonical JSON text
``{"dtype":"float32","tensors":[[name,[dims...]],...]}`` (keys sorted, no spaces): the same
function as ``ml.layout.compute_layout_hash`` (a test holds the two together), so a task whose
``layout_hash`` does not name its layout is invalid on every node.
"""

from __future__ import annotations

import hashlib
import json
import math

from consensus.errors import InvalidTransactionError
from consensus.primitives import ZERO_HASH
from consensus.transactions import LayoutTensor, TaskApp

MAX_TASK_PARAMS = 128 * 1024 * 1024


def compute_layout_hash(layout: tuple[LayoutTensor, ...]) -> bytes:
    """SHA-256 of the layout's canonical JSON text."""
    tensors = [[t.name, list(t.shape)] for t in layout]
    text = json.dumps(
        {"dtype": "float32", "tensors": tensors}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("ascii")).digest()


def validate_task_app(app: TaskApp) -> None:
    """Raise :class:`InvalidTransactionError` unless the app reference can be trained and
    aggregated: a bundle hash, a non-empty layout of distinct, printable names and positive
    dimensions within the size limit, the matching layout hash and a plain config."""
    if app.app_hash == ZERO_HASH:
        raise InvalidTransactionError("a task's app needs the hash of its bundle")
    if not app.layout:
        raise InvalidTransactionError("a task's layout names no tensor")
    names = [t.name for t in app.layout]
    if len(set(names)) != len(names):
        raise InvalidTransactionError("a task's layout names a tensor twice")
    total = 0
    for tensor in app.layout:
        _validate_tensor(tensor)
        total += math.prod(tensor.shape)
    if total > MAX_TASK_PARAMS:
        raise InvalidTransactionError(f"a layout of {total} parameters exceeds {MAX_TASK_PARAMS}")
    if compute_layout_hash(app.layout) != app.layout_hash:
        raise InvalidTransactionError("the task's layout_hash is not the hash of its layout")
    for key, value in app.config.items():
        if not key.isidentifier() or (isinstance(value, float) and not math.isfinite(value)):
            raise InvalidTransactionError(f"task config {key!r} is not a name with a plain value")


def _validate_tensor(tensor: LayoutTensor) -> None:
    name = tensor.name
    if not name or not (name.isascii() and name.isprintable()):
        raise InvalidTransactionError(f"layout tensor name {name!r} is not printable ASCII")
    if any(dim < 1 for dim in tensor.shape):
        raise InvalidTransactionError(f"layout tensor {name} has a dimension below 1")
