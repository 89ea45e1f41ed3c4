"""Invariants checked at every step of a run.

Safety: two honest nodes never finalize different blocks (or reach different states) at one
height. Besides safety the checker records other broken invariants: an honest node finalizing
out of order, asked by its engine to sign twice at one (height, round, step), or accused of
double signing by evidence, or an engine handler failing with anything but a ConsensusError.
Byzantine nodes are not checked: nothing they finalize counts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from consensus.primitives import Hash32, Height


class ViolationKind(enum.Enum):
    CONFLICTING_BLOCKS = "conflicting-blocks"
    DIVERGING_STATE = "diverging-state"
    OUT_OF_ORDER = "out-of-order-finalization"
    DOUBLE_SIGN_REQUEST = "double-sign-request"
    FALSE_EVIDENCE = "evidence-against-honest-node"
    ENGINE_ERROR = "engine-error"

    @property
    def is_safety(self) -> bool:
        return self in (ViolationKind.CONFLICTING_BLOCKS, ViolationKind.DIVERGING_STATE)


@dataclass(frozen=True)
class Violation:
    """One broken invariant, when and where it was seen."""

    kind: ViolationKind
    time_ms: int
    node: int
    height: Height
    detail: str


@dataclass(frozen=True)
class _Final:
    node: int
    block_hash: Hash32
    app_hash: Hash32


class SafetyChecker:
    """Collects honest nodes' final blocks and reports conflicts the moment they appear."""

    __slots__ = ("_finals", "_honest", "heights", "violations")

    def __init__(self, honest: tuple[bool, ...]) -> None:
        self._honest = honest
        self._finals: dict[Height, _Final] = {}
        self.heights = [0] * len(honest)
        self.violations: list[Violation] = []

    def record_final(
        self, time_ms: int, node: int, height: Height, block_hash: Hash32, app_hash: Hash32
    ) -> None:
        """Node ``node`` finalized ``block_hash`` at ``height`` reaching state ``app_hash``."""
        if not self._honest[node]:
            return
        if height != self.heights[node] + 1:
            detail = f"finalized {height} after {self.heights[node]}"
            self._add(ViolationKind.OUT_OF_ORDER, time_ms, node, height, detail)
        self.heights[node] = max(self.heights[node], height)
        first = self._finals.setdefault(height, _Final(node, block_hash, app_hash))
        if first.block_hash != block_hash:
            detail = (
                f"node {node} finalized {block_hash.hex()[:16]}, "
                f"node {first.node} finalized {first.block_hash.hex()[:16]}"
            )
            self._add(ViolationKind.CONFLICTING_BLOCKS, time_ms, node, height, detail)
        elif first.app_hash != app_hash:
            detail = f"node {node} and node {first.node} reached different states"
            self._add(ViolationKind.DIVERGING_STATE, time_ms, node, height, detail)

    def record_double_sign_request(self, time_ms: int, node: int, height: Height, why: str) -> None:
        if self._honest[node]:
            self._add(ViolationKind.DOUBLE_SIGN_REQUEST, time_ms, node, height, why)

    def record_violation(
        self, kind: ViolationKind, time_ms: int, node: int, height: Height, detail: str
    ) -> None:
        """Record any other broken invariant found by the caller."""
        self._add(kind, time_ms, node, height, detail)

    def _add(
        self, kind: ViolationKind, time_ms: int, node: int, height: Height, detail: str
    ) -> None:
        self.violations.append(Violation(kind, time_ms, node, height, detail))

    @property
    def safety_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.kind.is_safety]

    def get_min_honest_height(self) -> Height:
        """The lowest height every honest node has finalized."""
        return min((h for h, ok in zip(self.heights, self._honest, strict=True) if ok), default=0)

    def get_final_hash(self, height: Height) -> Hash32 | None:
        """The block the first honest node finalized at ``height`` (None if none yet)."""
        final = self._finals.get(height)
        return final.block_hash if final else None
