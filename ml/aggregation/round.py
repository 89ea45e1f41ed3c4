"""One aggregation round, called by every node on every finalized block: `aggregate_round`.

Decode each payload, check it, clip it, put the survivors in transaction-hash order, apply the
task's rule and step the global model. Pure: same inputs, same output bytes, on every node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ml.aggregation.checks import clip_delta, validate_delta, validate_num_samples
from ml.aggregation.rules import (
    RuleOutcome,
    aggregate_fedavg,
    aggregate_krum,
    aggregate_median,
    aggregate_multi_krum,
    aggregate_trimmed_mean,
)
from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import decode_delta
from ml.errors import CodecError, DeltaCheckError, InsufficientDeltasError, WeightsError
from ml.layout import Layout, validate_flat
from ml.snapshot import compute_model_hash
from ml.types import Float32Array, Float64Array, IntArray, TxHash

DeltaEntry = tuple[TxHash, bytes, int]


@dataclass(frozen=True)
class Rejection:
    """A delta that does not count. code: malformed, invalid, duplicate or not_selected."""

    tx_hash: TxHash
    code: str
    reason: str


@dataclass(frozen=True, eq=False)
class AggregationResult:
    """Next global weights, accepted and rejected deltas (canonical order) and the model hash."""

    new_weights: Float32Array
    accepted: tuple[TxHash, ...]
    rejected: tuple[Rejection, ...]
    clipped: tuple[TxHash, ...]
    model_hash: bytes


@dataclass(frozen=True, eq=False)
class _Valid:
    tx_hash: TxHash
    values: Float32Array
    num_samples: int


def aggregate_round(
    spec: AggregationSpec,
    global_weights: Float32Array,
    deltas: Sequence[DeltaEntry],
    staleness: Mapping[TxHash, int] | None = None,
) -> AggregationResult:
    """Apply `spec`'s rule to `deltas` (tx hash, encoded delta, sample count) pending for the
    next version (buffered across blocks, FedBuff-style).

    `staleness` gives, by tx hash, how many versions older than `global_weights` the model a
    delta was trained on (absent: 0); each clipped delta is scaled by the spec's staleness
    weight before the rule sees it, so a stale delta counts less but still counts.
    Raises InsufficientDeltasError when fewer than `spec.required_deltas` pass the checks, and
    WeightsError when `global_weights` do not fit the model (the caller's own state).
    """
    layout = spec.get_layout()
    validate_flat(layout, global_weights)
    valid, rejected = _screen(layout, deltas)
    if len(valid) < spec.required_deltas:
        raise InsufficientDeltasError(len(valid), spec.required_deltas)
    rows, clipped = _stack_clipped(valid, spec.clip_norm)
    if staleness:
        _weigh_by_staleness(spec, rows, [staleness.get(v.tx_hash, 0) for v in valid])
    counts = np.asarray([v.num_samples for v in valid], dtype=np.int64)
    outcome = _apply_rule(spec, rows, counts)
    step = global_weights.astype(np.float64) + spec.server_lr * outcome.aggregate
    new_weights = step.astype(np.float32)
    if not np.isfinite(new_weights).all():
        raise WeightsError("aggregation overflowed float32")
    chosen = set(outcome.accepted)
    for index, item in enumerate(valid):
        if index not in chosen:
            rejected.append(Rejection(item.tx_hash, "not_selected", f"{spec.rule} left it out"))
    return AggregationResult(
        new_weights=new_weights,
        accepted=tuple(valid[i].tx_hash for i in outcome.accepted),
        rejected=tuple(sorted(rejected, key=lambda r: r.tx_hash)),
        clipped=tuple(valid[i].tx_hash for i in clipped),
        model_hash=compute_model_hash(new_weights),
    )


def _screen(layout: Layout, deltas: Sequence[DeltaEntry]) -> tuple[list[_Valid], list[Rejection]]:
    valid: list[_Valid] = []
    rejected: list[Rejection] = []
    seen: set[bytes] = set()
    for tx_hash, payload, num_samples in sorted(deltas, key=lambda d: bytes(d[0])):
        if tx_hash in seen:
            rejected.append(Rejection(tx_hash, "duplicate", "transaction hash seen twice"))
            continue
        seen.add(tx_hash)
        try:
            count = validate_num_samples(num_samples)
            decoded = decode_delta(payload, max_params=layout.num_params)
            validate_delta(decoded, layout)
        except CodecError as exc:
            rejected.append(Rejection(tx_hash, "malformed", str(exc)))
        except DeltaCheckError as exc:
            rejected.append(Rejection(tx_hash, "invalid", str(exc)))
        else:
            valid.append(_Valid(tx_hash, decoded.values, count))
    return valid, rejected


def _stack_clipped(valid: list[_Valid], clip_norm: float) -> tuple[Float64Array, list[int]]:
    rows = np.empty((len(valid), valid[0].values.size), dtype=np.float64)
    clipped: list[int] = []
    for index, item in enumerate(valid):
        rows[index], was_clipped = clip_delta(item.values.astype(np.float64), clip_norm)
        if was_clipped:
            clipped.append(index)
    return rows, clipped


def _weigh_by_staleness(spec: AggregationSpec, rows: Float64Array, ages: list[int]) -> None:
    for index, age in enumerate(ages):
        if age:
            rows[index] *= spec.get_staleness_weight(age)


def _apply_rule(spec: AggregationSpec, rows: Float64Array, counts: IntArray) -> RuleOutcome:
    if spec.rule == "fedavg":
        return aggregate_fedavg(rows, counts)
    if spec.rule == "median":
        return aggregate_median(rows)
    if spec.rule == "trimmed_mean":
        return aggregate_trimmed_mean(rows, spec.beta)
    if spec.rule == "krum":
        return aggregate_krum(rows, spec.f)
    return aggregate_multi_krum(rows, spec.f, spec.m)
