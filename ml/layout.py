"""Parameter layouts: what a flat float32 weights vector means, and the hash that names it.

A layout is the ordered list of a model's tensors (name and shape); the flat vector is their
concatenation, each in C order, as float32. Aggregation, rewards and audit need nothing else
about a model, so a node that trains nothing runs no model code at all.

``compute_layout_hash`` is the SHA-256 of the canonical JSON text
``{"dtype":"float32","tensors":[[name,[dims...]],...]}`` (keys sorted, no spaces, ASCII).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ml.errors import LayoutError, WeightsError
from ml.types import Float32Array, Shape

LAYOUT_DTYPE = "float32"
MAX_LAYOUT_TENSORS = 1024
MAX_TENSOR_NAME = 128
MAX_TENSOR_DIMS = 8
MAX_LAYOUT_PARAMS = 128 * 1024 * 1024


@dataclass(frozen=True)
class LayoutEntry:
    """One named tensor of the flat vector."""

    name: str
    shape: Shape

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Layout:
    """The ordered tensors of a model; ``model_id`` is what the delta codec's header names."""

    model_id: str
    entries: tuple[LayoutEntry, ...]

    def __post_init__(self) -> None:
        validate_entries(self.entries)

    @property
    def num_params(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def shapes(self) -> tuple[Shape, ...]:
        return tuple(e.shape for e in self.entries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    @property
    def layout_hash(self) -> bytes:
        return compute_layout_hash(self.entries)


def validate_entries(entries: Sequence[LayoutEntry]) -> None:
    """Raise LayoutError unless the entries form a usable layout."""
    if not 0 < len(entries) <= MAX_LAYOUT_TENSORS:
        raise LayoutError(f"a layout has 1 to {MAX_LAYOUT_TENSORS} tensors, got {len(entries)}")
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise LayoutError("a layout names a tensor twice")
    for entry in entries:
        _validate_entry(entry)
    total = sum(e.size for e in entries)
    if total > MAX_LAYOUT_PARAMS:
        raise LayoutError(f"a layout of {total} parameters exceeds {MAX_LAYOUT_PARAMS}")


def _validate_entry(entry: LayoutEntry) -> None:
    name = entry.name
    if not 0 < len(name) <= MAX_TENSOR_NAME or not (name.isascii() and name.isprintable()):
        raise LayoutError(f"tensor name {name!r} must be 1-{MAX_TENSOR_NAME} printable ASCII")
    if len(entry.shape) > MAX_TENSOR_DIMS:
        raise LayoutError(f"tensor {name} has more than {MAX_TENSOR_DIMS} dimensions")
    for dim in entry.shape:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise LayoutError(f"tensor {name} has a bad dimension {dim!r}")


def compute_layout_hash(entries: Iterable[LayoutEntry]) -> bytes:
    """SHA-256 of the layout's canonical JSON text (see the module docstring)."""
    return hashlib.sha256(render_layout_json(entries).encode("ascii")).digest()


def render_layout_json(entries: Iterable[LayoutEntry]) -> str:
    """The canonical JSON text of a layout (what its hash covers)."""
    tensors = [[e.name, list(e.shape)] for e in entries]
    return json.dumps(
        {"dtype": LAYOUT_DTYPE, "tensors": tensors}, sort_keys=True, separators=(",", ":")
    )


def parse_layout_json(text: str, model_id: str = "") -> Layout:
    """A layout from its JSON text; raises LayoutError for anything malformed."""
    try:
        raw = json.loads(text)
        if raw.get("dtype") != LAYOUT_DTYPE:
            raise LayoutError(f"layout dtype must be {LAYOUT_DTYPE!r}")
        entries = tuple(LayoutEntry(str(n), tuple(int(d) for d in s)) for n, s in raw["tensors"])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise LayoutError(f"malformed layout: {exc}") from None
    hashed = model_id or compute_layout_hash(entries).hex()
    return Layout(hashed, entries)


def make_layout(entries: Sequence[LayoutEntry]) -> Layout:
    """A layout whose model id is its hash in hex (how app tasks name their deltas)."""
    validate_entries(entries)
    return Layout(compute_layout_hash(entries).hex(), tuple(entries))


def validate_flat(layout: Layout, weights: Float32Array) -> None:
    """Raise WeightsError unless `weights` is a finite flat float32 vector of the layout."""
    if weights.dtype != np.float32 or weights.ndim != 1:
        raise WeightsError(f"weights must be a flat float32 vector, got {weights.dtype}")
    if weights.size != layout.num_params:
        raise WeightsError(f"layout has {layout.num_params} parameters, got {weights.size}")
    if not np.isfinite(weights).all():
        raise WeightsError("weights contain NaN or Inf")


def split_flat(layout: Layout, flat: Float32Array) -> dict[str, Float32Array]:
    """Views of `flat` shaped as each named tensor, in layout order."""
    validate_flat(layout, flat)
    out: dict[str, Float32Array] = {}
    offset = 0
    for entry in layout.entries:
        out[entry.name] = flat[offset : offset + entry.size].reshape(entry.shape)
        offset += entry.size
    return out
