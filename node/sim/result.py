"""What one seed's run produced, and the summary over many seeds (the CLI's JSON object)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from node.sim.checker import Violation


@dataclass(frozen=True)
class SeedResult:
    """The outcome of one seed."""

    seed: int
    trace_hash: str
    target_height: int
    heights_final_min: int
    rounds_per_height: float
    safety_violations: tuple[Violation, ...]
    other_violations: tuple[Violation, ...]
    liveness_failure: bool
    evidence: int
    rejected_byzantine: int
    rejected_honest: int
    messages_sent: int
    messages_delivered: int
    messages_dropped: int
    events: int
    virtual_ms: int
    wall_seconds: float

    @property
    def is_ok(self) -> bool:
        return not (self.safety_violations or self.other_violations or self.liveness_failure)


@dataclass(frozen=True)
class SimSummary:
    """Aggregates over seeds; ``to_json`` gives the CLI's output object."""

    results: tuple[SeedResult, ...]
    wall_seconds: float
    settings: dict[str, Any]

    @property
    def safety_violations(self) -> int:
        return sum(len(r.safety_violations) for r in self.results)

    @property
    def liveness_failures(self) -> int:
        return sum(r.liveness_failure for r in self.results)

    @property
    def invariant_violations(self) -> int:
        return sum(len(r.other_violations) for r in self.results)

    @property
    def heights_final_min(self) -> int:
        return min((r.heights_final_min for r in self.results), default=0)

    @property
    def mean_rounds_per_height(self) -> float:
        return _mean([r.rounds_per_height for r in self.results])

    def to_json(self) -> dict[str, Any]:
        results = self.results
        return {
            "seeds": len(results),
            "seed_list": [r.seed for r in results],
            "heights_target": results[0].target_height if results else 0,
            "heights_final_min": self.heights_final_min,
            "safety_violations": self.safety_violations,
            "liveness_failures": self.liveness_failures,
            "invariant_violations": self.invariant_violations,
            "mean_rounds_per_height": round(self.mean_rounds_per_height, 4),
            "trace_hashes": {str(r.seed): r.trace_hash for r in results},
            "wall_seconds": round(self.wall_seconds, 3),
            "evidence": sum(r.evidence for r in results),
            "rejected_byzantine_inputs": sum(r.rejected_byzantine for r in results),
            "rejected_honest_inputs": sum(r.rejected_honest for r in results),
            "messages_sent": sum(r.messages_sent for r in results),
            "messages_delivered": sum(r.messages_delivered for r in results),
            "messages_dropped": sum(r.messages_dropped for r in results),
            "events": sum(r.events for r in results),
            "virtual_ms_mean": round(_mean([float(r.virtual_ms) for r in results]), 1),
            "failures": [_failure_json(r) for r in results if not r.is_ok],
            "settings": self.settings,
        }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _failure_json(result: SeedResult) -> dict[str, Any]:
    violations = result.safety_violations + result.other_violations
    return {
        "seed": result.seed,
        "liveness_failure": result.liveness_failure,
        "heights_final_min": result.heights_final_min,
        "violations": [
            {
                "kind": v.kind.value,
                "time_ms": v.time_ms,
                "node": v.node,
                "height": v.height,
                "detail": v.detail,
            }
            for v in violations[:20]
        ],
    }
