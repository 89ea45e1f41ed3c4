"""Shared helpers of the simulate-mode tests: shipped manifests and a per-session report cache."""

from __future__ import annotations

import functools
from pathlib import Path

from node.scenario.manifest import Manifest
from node.scenario.parse import load_manifest
from node.scenario.report import NodeObservation, RunReport
from node.scenario.simulate import simulate_manifest

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"
SHIPPED = ("baseline-4", "byzantine-7", "churn-5", "join-late", "partition-heal-7", "poisoning-10")


def load_shipped(name: str) -> Manifest:
    return load_manifest(SCENARIOS / f"{name}.toml")


@functools.cache
def short_report(name: str, seed: int) -> RunReport:
    """The shortened shipped scenario's simulate report (each run once per test session)."""
    return simulate_manifest(load_shipped(name).shortened(), seed, short=True)


def node_of(report: RunReport, name: str) -> NodeObservation:
    return next(n for n in report.nodes if n.name == name)


def describe_failures(report: RunReport) -> str:
    return "; ".join(f"{c.name}: {c.detail}" for c in report.checks if not c.passed)


def figure(report: RunReport, key: str) -> float:
    """A numeric summary figure of ``report``."""
    value = report.figures[key]
    assert isinstance(value, int | float), f"{key} = {value!r} is not a number"
    return value
