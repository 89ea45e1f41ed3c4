"""Ledger-specific faults, subclasses of the consensus package's base exception."""

from __future__ import annotations

from consensus.errors import ConsensusError


class UnknownHeightError(ConsensusError):
    """No validator set is recorded for the height asked (in the future or pruned)."""


class InvalidAggregationError(ConsensusError):
    """Aggregation results do not match the ready tasks and their pending deltas."""
