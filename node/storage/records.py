"""The rows the chain database stores besides blocks and states: where a transaction is, what
an aggregation counted, which model versions exist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TxLocation:
    """Where a transaction sits in the chain."""

    height: int
    position: int
    sender: bytes
    kind: str


@dataclass(frozen=True)
class Contribution:
    """One delta counted (or not) by an aggregation, and what its sender was paid."""

    tx_hash: bytes
    sender: bytes
    height: int
    accepted: bool
    reward: int
    reason: str


@dataclass(frozen=True)
class ModelRecord:
    """A model version produced by aggregation at a final height."""

    task_id: int
    version: int
    model_hash: bytes
    height: int
    accuracy: float | None
