"""The deterministic consensus simulator: N real BFT engines over a seeded network model.

Public API:

- ``SimConfig`` / ``NetworkConfig`` / ``Partition`` / ``Policy`` and ``parse_partition(spec)``
- ``Simulation(config, seed, params=None).run() -> SeedResult``
- ``run_seeds(config, seeds, params=None, on_result=None) -> SimSummary``
- ``SafetyChecker`` (the invariant checker) and ``CachingVerifier``
"""

from __future__ import annotations

from node.sim.batch import run_seeds
from node.sim.checker import SafetyChecker, Violation, ViolationKind
from node.sim.config import (
    ALL_POLICIES,
    NetworkConfig,
    Partition,
    Policy,
    SimConfig,
    max_faulty,
    parse_partition,
)
from node.sim.errors import PartitionSpecError, SimConfigError, SimError
from node.sim.result import SeedResult, SimSummary
from node.sim.runner import Simulation
from node.sim.verifier import CachingVerifier

__all__ = [
    "ALL_POLICIES",
    "CachingVerifier",
    "NetworkConfig",
    "Partition",
    "PartitionSpecError",
    "Policy",
    "SafetyChecker",
    "SeedResult",
    "SimConfig",
    "SimConfigError",
    "SimError",
    "SimSummary",
    "Simulation",
    "Violation",
    "ViolationKind",
    "max_faulty",
    "parse_partition",
    "run_seeds",
]
