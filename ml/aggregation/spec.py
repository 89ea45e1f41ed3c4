"""The aggregation part of a training task, as a frozen dataclass and as a plain dict.

The dict form holds only str, int and float values (the chain stores it in canonical CBOR) and
names only the parameters the rule uses, so one spec has exactly one dict form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from ml.errors import SpecError, UnknownModelError
from ml.layout import Layout
from ml.models import get_model_spec

RuleName = Literal["fedavg", "median", "trimmed_mean", "krum", "multi_krum"]
RULES: tuple[str, ...] = get_args(RuleName)
SpecValue = str | int | float
_COMMON = ("model_id", "rule", "clip_norm", "min_deltas", "server_lr")
_OPTIONAL = ("staleness_exponent",)
"""Common parameters named in the dict form only when they differ from their default."""
MAX_STALENESS_EXPONENT = 10.0
MAX_SERVER_LR = 100.0
"""Largest server step: a larger one overflows float32 at the first real delta, so the task
would keep its weights and pay nobody for good (its pool escrowed)."""
MAX_MIN_DELTAS = 10_000
"""Most deltas a task may wait for per version: aggregation holds them all in memory at once."""
_RULE_PARAMS: dict[str, tuple[str, ...]] = {
    "fedavg": (),
    "median": (),
    "trimmed_mean": ("beta",),
    "krum": ("f",),
    "multi_krum": ("f", "m"),
}
_DEFAULTS: dict[str, SpecValue] = {"f": 0, "m": 1, "beta": 0.0}


@dataclass(frozen=True)
class AggregationSpec:
    """Model, rule and rule parameters, clipping bound, minimum deltas, server step size.

    f: Byzantine deltas Krum tolerates; m: deltas Multi-Krum averages; beta: fraction trimmed
    from each end by the trimmed mean. ``staleness_exponent`` a: a delta trained on a model
    ``s`` versions old counts with weight 1/(1+s)^a (FedBuff's polynomial staleness weight;
    0, the default, is the constant weight 1). ``layout`` is the model's parameter layout when
    the task names it (a learning app's task); otherwise ``model_id`` is a catalog model.
    """

    model_id: str
    rule: RuleName
    clip_norm: float
    min_deltas: int = 1
    server_lr: float = 1.0
    f: int = 0
    m: int = 1
    beta: float = 0.0
    staleness_exponent: float = 0.0
    layout: Layout | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.layout is not None and self.layout.model_id != self.model_id:
            raise SpecError(f"layout {self.layout.model_id!r} is not model {self.model_id!r}")
        if self.layout is None:
            try:
                get_model_spec(self.model_id)
            except UnknownModelError as exc:
                raise SpecError(str(exc)) from None
        if self.rule not in RULES:
            raise SpecError(f"unknown rule {self.rule!r}; known: {', '.join(RULES)}")
        _validate_positive("clip_norm", self.clip_norm)
        _validate_positive("server_lr", self.server_lr)
        if self.server_lr > MAX_SERVER_LR:
            raise SpecError(f"server_lr must be at most {MAX_SERVER_LR}, got {self.server_lr}")
        if self.min_deltas < 1 or self.f < 0 or self.m < 1:
            raise SpecError("min_deltas and m must be >= 1 and f >= 0")
        if not 0.0 <= self.beta < 0.5:
            raise SpecError(f"beta must be in [0, 0.5), got {self.beta}")
        exponent = self.staleness_exponent
        if not (math.isfinite(exponent) and 0.0 <= exponent <= MAX_STALENESS_EXPONENT):
            limit = MAX_STALENESS_EXPONENT
            raise SpecError(f"staleness_exponent must be in [0, {limit}], got {exponent}")
        for name, default in _DEFAULTS.items():
            if name not in _RULE_PARAMS[self.rule] and getattr(self, name) != default:
                raise SpecError(f"rule {self.rule} takes no parameter {name}")

    def get_layout(self) -> Layout:
        """The parameter layout deltas must have: the task's, or the catalog model's."""
        return self.layout if self.layout is not None else get_model_spec(self.model_id).layout

    def validate_feasible(self) -> None:
        """Raise SpecError when the rule needs more deltas than the task's ``min_deltas``: such
        a task becomes ready with too few deltas and could never aggregate; or when
        ``min_deltas`` exceeds :data:`MAX_MIN_DELTAS`."""
        if self.min_deltas > MAX_MIN_DELTAS:
            raise SpecError(
                f"min_deltas {self.min_deltas} exceeds {MAX_MIN_DELTAS}: the task could never"
                " aggregate"
            )
        needed = {"krum": 2 * self.f + 3, "multi_krum": max(2 * self.f + 3, self.m)}
        if needed.get(self.rule, 1) > self.min_deltas:
            raise SpecError(
                f"{self.rule} with f={self.f} needs {needed[self.rule]} deltas per aggregation,"
                f" but min_deltas is {self.min_deltas}: the task could never aggregate"
            )

    @property
    def required_deltas(self) -> int:
        """Fewest valid deltas the rule and the task accept."""
        if self.rule == "krum":
            return max(self.min_deltas, 2 * self.f + 3)
        if self.rule == "multi_krum":
            return max(self.min_deltas, 2 * self.f + 3, self.m)
        return self.min_deltas

    def get_staleness_weight(self, staleness: int) -> float:
        """The weight of a delta trained on a model ``staleness`` versions older than the one
        it is aggregated into: 1/(1+s)^a (1 for a fresh delta, or with a = 0)."""
        if staleness < 0:
            raise SpecError(f"staleness must be >= 0, got {staleness}")
        return float((1.0 + staleness) ** -self.staleness_exponent)

    def to_dict(self) -> dict[str, SpecValue]:
        """The canonical plain-dict form (only the rule's own parameters, and the optional
        common ones that differ from their default)."""
        names = _COMMON + _RULE_PARAMS[self.rule] + self.get_optional_names()
        return {name: cast(SpecValue, getattr(self, name)) for name in names}

    def get_optional_names(self) -> tuple[str, ...]:
        return tuple(name for name in _OPTIONAL if getattr(self, name) != 0.0)

    @staticmethod
    def from_dict(raw: object, layout: Layout | None = None) -> AggregationSpec:
        """Parse the dict form; raises SpecError for unknown keys, wrong types or bad values."""
        if not isinstance(raw, Mapping):
            raise SpecError(f"spec must be a dict, got {type(raw).__name__}")
        rule = raw.get("rule")
        if not isinstance(rule, str) or rule not in _RULE_PARAMS:
            raise SpecError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
        allowed = set(_COMMON + _OPTIONAL + _RULE_PARAMS[rule])
        if set(raw) - allowed or "model_id" not in raw or "clip_norm" not in raw:
            raise SpecError(f"spec keys {sorted(map(str, raw))}, allowed {sorted(allowed)}")
        return AggregationSpec(
            model_id=_get_str(raw, "model_id"),
            rule=cast(RuleName, rule),
            clip_norm=_get_float(raw, "clip_norm", math.nan),
            min_deltas=_get_int(raw, "min_deltas", 1),
            server_lr=_get_float(raw, "server_lr", 1.0),
            f=_get_int(raw, "f", 0),
            m=_get_int(raw, "m", 1),
            beta=_get_float(raw, "beta", 0.0),
            staleness_exponent=_get_float(raw, "staleness_exponent", 0.0),
            layout=layout,
        )


def spec_from_task(
    model_id: str,
    aggregation: Mapping[str, object],
    clip_norm: float,
    min_deltas: int,
    layout: Layout | None = None,
) -> AggregationSpec:
    """The spec from a CreateTask's fields: `aggregation` holds the rule, its parameters and
    optionally server_lr; the model id (or the app's layout), clipping bound and minimum come
    from the task."""
    if set(aggregation) & {"model_id", "clip_norm", "min_deltas"}:
        raise SpecError("model_id, clip_norm and min_deltas belong to the task, not the rule")
    raw = {**aggregation, "model_id": model_id, "clip_norm": clip_norm, "min_deltas": min_deltas}
    return AggregationSpec.from_dict(raw, layout)


def compute_rule_dict(spec: AggregationSpec) -> dict[str, SpecValue]:
    """The task's `aggregation` map for `spec`: the rule, its parameters, server_lr if not 1,
    the staleness exponent if not 0."""
    full = spec.to_dict()
    keep = ("rule", *_RULE_PARAMS[spec.rule]) + (("server_lr",) if spec.server_lr != 1.0 else ())
    keep += spec.get_optional_names()
    return {key: full[key] for key in keep}


def _validate_positive(name: str, value: float) -> None:
    if not (isinstance(value, float) and math.isfinite(value) and value > 0.0):
        raise SpecError(f"{name} must be a finite float > 0, got {value!r}")


def _get_str(raw: Mapping[Any, object], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise SpecError(f"{key} must be a str, got {type(value).__name__}")
    return value


def _get_int(raw: Mapping[Any, object], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{key} must be an int, got {type(value).__name__}")
    return value


def _get_float(raw: Mapping[Any, object], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{key} must be a number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:  # an int beyond any float (the wire's ints are 64-bit)
        raise SpecError(f"{key} is out of range (an int too large for a float)") from None
