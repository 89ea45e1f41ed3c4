"""The deterministic in-process scenario mode: a manifest in the consensus simulator, with
real learning, in virtual time.

Public API:

- ``simulate_manifest(manifest, seed, *, short=False) -> RunReport`` (``mode = "simulate"``)
- ``simulate_seeds(manifest, seeds, *, short=False) -> list[RunReport]``
- ``SimulateError``
"""

from __future__ import annotations

from node.scenario.simulate.errors import SimulateError
from node.scenario.simulate.run import simulate_manifest, simulate_seeds

__all__ = ["SimulateError", "simulate_manifest", "simulate_seeds"]
