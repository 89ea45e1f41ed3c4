"""The scenario run as its services see it: the :class:`Scene` protocol and its value types.

The services of one run (transactions, training, the probe, node lifecycles) and the end-of-run
observation read and change the run through :class:`Scene`, which
:class:`~node.scenario.simulate.simulation.ScenarioSimulation` implements. A service that needs
another is handed it when built, so every service module sits below the simulation and none
imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

from node.scenario.simulate.faults import NodeStatus
from node.scenario.simulate.learning import Learning
from node.scenario.simulate.pool import NodePool
from node.scenario.simulate.world import World
from node.sim.config import SimConfig
from node.sim.events import SimEvent
from node.sim.node import SimNode
from node.sim.queue import EventQueue
from node.sim.trace import TraceRecorder
from node.sim.verifier import CachingVerifier


@dataclass(frozen=True)
class VersionRecord:
    """When a model version first became final on an honest node."""

    height: int
    t_ms: int
    model_hash: bytes


class Scene(Protocol):
    """One seed's run of a manifest: the simulator's state plus the scenario's own."""

    done: bool
    """Set when ``stop_when_done`` ends the run early."""

    @property
    def world(self) -> World: ...

    @property
    def config(self) -> SimConfig: ...

    @property
    def now(self) -> int:
        """Virtual time of the event being processed, ms."""
        ...

    @property
    def queue(self) -> EventQueue[SimEvent]: ...

    @property
    def trace(self) -> TraceRecorder: ...

    @property
    def verifier(self) -> CachingVerifier: ...

    @property
    def nodes(self) -> Sequence[SimNode]:
        """By manifest index."""
        ...

    @property
    def pools(self) -> Sequence[NodePool]: ...

    @property
    def status(self) -> NodeStatus: ...

    @property
    def learning(self) -> Learning: ...

    @property
    def spammers(self) -> Set[int]: ...

    @property
    def model_hashes(self) -> Sequence[Mapping[int, bytes]]:
        """Per node: the model hash of each version it has seen."""
        ...

    @property
    def versions(self) -> Mapping[int, VersionRecord]: ...

    @property
    def rewards(self) -> Mapping[bytes, int]:
        """Delta rewards paid to each address."""
        ...

    @property
    def accepted(self) -> Mapping[bytes, int]:
        """Deltas counted by an aggregation, per address."""
        ...

    def send_external(self, src: int, recipients: tuple[int, ...], payload: object) -> None:
        """Send one of the scenario's own messages through the network model."""
        ...

    def record_models(self, index: int) -> None:
        """Note node ``index``'s current model version."""
        ...
