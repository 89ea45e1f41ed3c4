"""A torch module's state as a layout and a flat float32 vector, and back.

The layout is the module's floating-point ``state_dict`` entries in order (parameters and
float buffers such as batch-norm statistics); integer buffers (``num_batches_tracked``) stay
local to the node and are not part of the vector.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ml.errors import LayoutError
from ml.layout import Layout, LayoutEntry, make_layout, split_flat
from ml.types import Float32Array


def compute_state_layout(module: nn.Module) -> Layout:
    """The module's layout; any floating state that is not float32 is a LayoutError."""
    entries = []
    for name, tensor in module.state_dict().items():
        if not tensor.is_floating_point():
            continue
        if tensor.dtype != torch.float32:
            raise LayoutError(f"state {name} is {tensor.dtype}; apps keep float32 state")
        entries.append(LayoutEntry(name, tuple(int(d) for d in tensor.shape)))
    return make_layout(entries)


def validate_state_layout(module: nn.Module, expected: Layout) -> None:
    """Raise LayoutError unless the module's layout is ``expected`` (names, shapes, order)."""
    actual = compute_state_layout(module)
    if actual.entries != expected.entries:
        diff = _first_difference(actual, expected)
        raise LayoutError(f"the app's model does not match the task's layout: {diff}")


def _first_difference(actual: Layout, expected: Layout) -> str:
    for got, want in zip(actual.entries, expected.entries, strict=False):
        if got != want:
            return f"{got.name} {got.shape} where the task has {want.name} {want.shape}"
    return f"{len(actual.entries)} tensors where the task has {len(expected.entries)}"


def get_flat_state(module: nn.Module, layout: Layout) -> Float32Array:
    """The module's state in layout order as one flat float32 vector."""
    state = module.state_dict()
    parts = [state[name].detach().cpu().numpy().astype(np.float32).ravel() for name in layout.names]
    return np.concatenate(parts)


def load_flat_state(module: nn.Module, layout: Layout, flat: Float32Array) -> None:
    """Copy a flat vector into the module's state (its other, integer, buffers stay)."""
    views = split_flat(layout, flat)
    state = module.state_dict()
    for name, view in views.items():
        state[name] = torch.from_numpy(np.array(view, dtype=np.float32))
    module.load_state_dict(state, strict=True)
