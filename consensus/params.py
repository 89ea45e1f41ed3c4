"""Chain parameters: one frozen record built from a preset (see ``configs/presets``).

Fractions are integers in parts per million so that every node computes identical amounts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from consensus.errors import InvalidParamsError

PPM: Final = 1_000_000


@dataclass(frozen=True)
class ChainParams:
    """Every tunable rule of the chain. Defaults are those of the ``local`` preset."""

    max_validators: int = 4
    epoch_length: int = 20
    block_reward: int = 10_000
    min_fee: int = 1
    unbonding_period: int = 50
    max_voted_candidates: int = 30
    double_sign_slash_ppm: int = 50_000
    downtime_slash_ppm: int = 10_000
    downtime_window: int = 100
    downtime_min_signed_ppm: int = 500_000
    downtime_jail_blocks: int = 200
    evidence_max_age: int = 1_000
    max_block_txs: int = 500
    max_block_bytes: int = 48 * 1024
    timeout_propose_ms: int = 1_000
    timeout_propose_delta_ms: int = 500
    timeout_prevote_ms: int = 500
    timeout_prevote_delta_ms: int = 250
    timeout_precommit_ms: int = 500
    timeout_precommit_delta_ms: int = 250
    timeout_commit_ms: int = 100

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidParamsError(f"{field.name} must be a non-negative integer")
        for name in ("max_validators", "epoch_length", "downtime_window", "max_block_txs"):
            if getattr(self, name) < 1:
                raise InvalidParamsError(f"{name} must be at least 1")
        for name in ("double_sign_slash_ppm", "downtime_slash_ppm", "downtime_min_signed_ppm"):
            if getattr(self, name) > PPM:
                raise InvalidParamsError(f"{name} must be at most {PPM}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ChainParams:
        """Build params from a preset table; unknown keys and bad values raise."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidParamsError(f"unknown chain parameter(s): {', '.join(unknown)}")
        return cls(**values)

    def to_mapping(self) -> dict[str, int]:
        return dataclasses.asdict(self)
