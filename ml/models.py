"""Model catalog: ids, stable flat parameter layouts and seeded initialisation (pure numpy).

The flat layout of a model is the concatenation of its parameters in catalog order, each in
C order. The training code builds torch modules from the same layout, so a flat float32
vector means the same thing everywhere, with or without torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ml.errors import UnknownModelError, WeightsError
from ml.layout import Layout, LayoutEntry
from ml.types import Float32Array, ModelId, Shape


@dataclass(frozen=True)
class ParamSpec:
    """One named parameter tensor; `fan_in` sets its initialisation bound."""

    name: str
    shape: Shape
    fan_in: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ModelSpec:
    """A model architecture: input shape, class count and ordered parameters."""

    model_id: ModelId
    input_shape: Shape
    num_classes: int
    params: tuple[ParamSpec, ...]

    @property
    def num_params(self) -> int:
        return sum(p.size for p in self.params)

    @property
    def shapes(self) -> tuple[Shape, ...]:
        return tuple(p.shape for p in self.params)

    @property
    def layout(self) -> Layout:
        """The flat layout (the model id names it in delta headers)."""
        return Layout(self.model_id, tuple(LayoutEntry(p.name, p.shape) for p in self.params))


def _dense(name: str, fan_in: int, fan_out: int) -> tuple[ParamSpec, ParamSpec]:
    return (
        ParamSpec(f"{name}.weight", (fan_out, fan_in), fan_in),
        ParamSpec(f"{name}.bias", (fan_out,), fan_in),
    )


def _conv(name: str, c_in: int, c_out: int, kernel: int) -> tuple[ParamSpec, ParamSpec]:
    fan_in = c_in * kernel * kernel
    return (
        ParamSpec(f"{name}.weight", (c_out, c_in, kernel, kernel), fan_in),
        ParamSpec(f"{name}.bias", (c_out,), fan_in),
    )


_CATALOG: dict[ModelId, ModelSpec] = {
    "logreg-digits": ModelSpec("logreg-digits", (64,), 10, _dense("linear", 64, 10)),
    "mlp-digits": ModelSpec(
        "mlp-digits", (64,), 10, _dense("hidden", 64, 64) + _dense("output", 64, 10)
    ),
    "mlp-wide-digits": ModelSpec(
        "mlp-wide-digits", (64,), 10, _dense("hidden", 64, 14_000) + _dense("output", 14_000, 10)
    ),
    "cnn-digits": ModelSpec(
        "cnn-digits",
        (1, 8, 8),
        10,
        _conv("conv1", 1, 8, 3) + _conv("conv2", 8, 16, 3) + _dense("output", 64, 10),
    ),
}


def list_model_ids() -> tuple[ModelId, ...]:
    """Every model id the catalog knows, sorted."""
    return tuple(sorted(_CATALOG))


def get_model_spec(model_id: ModelId) -> ModelSpec:
    """The architecture for `model_id`; raises UnknownModelError for an unknown id."""
    try:
        return _CATALOG[model_id]
    except KeyError:
        raise UnknownModelError(f"unknown model id {model_id!r}") from None


def init_weights(model_id: ModelId, seed: int) -> Float32Array:
    """Deterministic flat float32 weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) per parameter,
    drawn from PCG64(seed) in layout order (the bound torch uses for Linear and Conv2d)."""
    spec = get_model_spec(model_id)
    if seed < 0:
        raise WeightsError(f"seed must be non-negative, got {seed}")
    rng = np.random.Generator(np.random.PCG64(seed))
    parts = [rng.uniform(-1.0, 1.0, p.size) / math.sqrt(p.fan_in) for p in spec.params]
    return np.concatenate(parts).astype(np.float32)


def validate_weights(spec: ModelSpec, weights: Float32Array) -> None:
    """Raise WeightsError unless `weights` is a finite flat float32 vector of the model's size."""
    if weights.dtype != np.float32 or weights.ndim != 1:
        raise WeightsError(f"weights must be a flat float32 vector, got {weights.dtype}")
    if weights.size != spec.num_params:
        raise WeightsError(f"{spec.model_id} has {spec.num_params} parameters, got {weights.size}")
    if not np.isfinite(weights).all():
        raise WeightsError("weights contain NaN or Inf")


def split_weights(spec: ModelSpec, flat: Float32Array) -> dict[str, Float32Array]:
    """Views of `flat` shaped as each named parameter, in layout order."""
    validate_weights(spec, flat)
    out: dict[str, Float32Array] = {}
    offset = 0
    for p in spec.params:
        out[p.name] = flat[offset : offset + p.size].reshape(p.shape)
        offset += p.size
    return out
