"""Entry points: one manifest, one seed (or a range of seeds), one report each."""

from __future__ import annotations

import logging

from node.scenario.manifest import Manifest
from node.scenario.report import RunReport
from node.scenario.simulate.report import build_report
from node.scenario.simulate.simulation import ScenarioSimulation
from node.scenario.simulate.world import build_world

logger = logging.getLogger(__name__)


def simulate_manifest(manifest: Manifest, seed: int, *, short: bool = False) -> RunReport:
    """Run ``manifest`` in the deterministic in-process simulator with ``seed``.

    Consensus, learning and the perturbations all run in virtual time; ``duration_s`` of the
    report is virtual seconds. The same manifest and seed give an identical report.
    ``short`` only records that ``manifest`` is the shortened one (``Manifest.shortened()``).
    """
    from ml.training.local import configure_determinism

    configure_determinism()
    sim = ScenarioSimulation(build_world(manifest, seed))
    sim.run_scenario()
    report = build_report(sim, short=short)
    logger.info(
        "simulated scenario=%s seed=%d virtual_s=%.1f height=%s passed=%s",
        manifest.name,
        seed,
        report.duration_s,
        report.figures.get("final_height_max"),
        report.passed,
    )
    return report


def simulate_seeds(manifest: Manifest, seeds: range, *, short: bool = False) -> list[RunReport]:
    """One report per seed, in order."""
    return [simulate_manifest(manifest, seed, short=short) for seed in seeds]
