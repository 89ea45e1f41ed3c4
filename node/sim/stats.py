"""Counters of one run and their conversion into a :class:`SeedResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

from consensus.primitives import Height, Round
from node.sim.result import SeedResult
from node.sim.shell import SimShell


@dataclass
class RunStats:
    """Mutable tallies kept by the event loop."""

    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    rejected_honest: int = 0
    rejected_byzantine: int = 0
    rounds: dict[Height, Round] = field(default_factory=dict)
    evidence: set[tuple[int, int, int, int]] = field(default_factory=set)

    def get_rounds_per_height(self, up_to: Height) -> float:
        """Mean rounds a height up to ``up_to`` took (1.0 = every height decided in round 0)."""
        rounds = [r + 1 for h, r in self.rounds.items() if h <= up_to]
        return sum(rounds) / len(rounds) if rounds else 0.0

    def to_result(self, sim: SimShell, wall_seconds: float) -> SeedResult:
        checker = sim.checker
        reached = checker.get_min_honest_height()
        violations = tuple(checker.violations)
        return SeedResult(
            seed=sim.seed,
            trace_hash=sim.trace.hexdigest(),
            target_height=sim.config.heights,
            heights_final_min=reached,
            rounds_per_height=self.get_rounds_per_height(sim.config.heights),
            safety_violations=tuple(v for v in violations if v.kind.is_safety),
            other_violations=tuple(v for v in violations if not v.kind.is_safety),
            liveness_failure=reached < sim.config.heights,
            evidence=len(self.evidence),
            rejected_byzantine=self.rejected_byzantine,
            rejected_honest=self.rejected_honest,
            messages_sent=self.sent,
            messages_delivered=self.delivered,
            messages_dropped=self.dropped,
            events=sim.trace.events,
            virtual_ms=sim.now,
            wall_seconds=wall_seconds,
        )
