"""What a scenario run observed and concluded, in one JSON-ready record.

Every mode (real processes, network namespaces, the in-process simulator) fills the same
:class:`RunReport`, so reports compare across modes and the HTML page draws any of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REPORT_FORMAT = 1


@dataclass(frozen=True)
class NodeObservation:
    """One node's view at the end of a run (from its API, or from the simulator's state)."""

    name: str
    honest: bool
    running: bool
    """Answering at the end of the run."""
    height: int
    block_hashes: dict[int, str] = field(default_factory=dict)
    """Final block hash (hex) by height, for the heights this node reported."""
    model_hashes: dict[int, str] = field(default_factory=dict)
    """Model hash (hex) by version of the scenario's task."""
    bonded_start: int = 0
    bonded_end: int = 0
    """Bonded stake of this node's account, at genesis and at the end (as honest nodes see it)."""
    slashed: bool = False
    """Lost stake to evidence (tombstoned or bonded below genesis without unbonding)."""
    validator_at_end: bool = False
    perturbed: bool = False
    """Killed, paused, restarted or disconnected at least once."""
    starts: int = 1
    balance_gain: int = 0
    delta_rewards: int = 0
    accepted_deltas: int = 0


@dataclass(frozen=True)
class VersionPoint:
    """A model version: when it became final and how well it does on the test split."""

    version: int
    height: int
    t_s: float | None
    accuracy: float | None


@dataclass(frozen=True)
class FinalityPoint:
    """A final block: when it became final and how long it took from its proposal."""

    t_s: float
    height: int
    latency_ms: float


@dataclass(frozen=True)
class Mark:
    """A scheduled perturbation or partition as it was applied (``phase`` start or end)."""

    t_s: float
    action: str
    nodes: tuple[str, ...]
    phase: str


@dataclass(frozen=True)
class HeightSample:
    """Progress sample: a node's final height at a time."""

    t_s: float
    node: str
    height: int


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


@dataclass
class RunReport:
    """One run of one manifest with one seed."""

    scenario: str
    mode: str
    """``processes``, ``netns`` or ``simulate``."""
    seed: int
    short: bool
    duration_s: float
    nodes: list[NodeObservation] = field(default_factory=list)
    versions: list[VersionPoint] = field(default_factory=list)
    finality: list[FinalityPoint] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    heights: list[HeightSample] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    figures: dict[str, float | int | str | None] = field(default_factory=dict)
    """Summary numbers: final height, finality p50/p99 (ms), rounds per height, best accuracy,
    version and seconds to the target, node processes, ..."""
    workload: dict[str, Any] | None = None
    """The client workload's reconciliation (``node.scenario.workload``), None when off."""

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = REPORT_FORMAT
        data["passed"] = self.passed
        for node in data["nodes"]:  # JSON object keys are strings
            node["block_hashes"] = {str(k): v for k, v in node["block_hashes"].items()}
            node["model_hashes"] = {str(k): v for k, v in node["model_hashes"].items()}
        return data
