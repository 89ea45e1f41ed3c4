"""The exceptions of the in-process scenario simulation."""

from __future__ import annotations

from node.scenario.errors import ScenarioError


class SimulateError(ScenarioError):
    """A manifest cannot be simulated in process (e.g. its data cannot be split per trainer)."""
