"""The event loop as the run's helpers see it: the protocol block sync and run statistics use.

:class:`~node.sim.runner.Simulation` is the one implementation. The helpers it owns
(:class:`~node.sim.sync.SyncService`, :class:`~node.sim.stats.RunStats`) name this protocol
rather than the runner, so the runner imports them and never the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from node.sim.byzantine import Outgoing
from node.sim.checker import SafetyChecker
from node.sim.config import SimConfig
from node.sim.node import EngineInput, SimNode
from node.sim.trace import TraceRecorder


class SimShell(Protocol):
    """One seed's run: its settings, clock, nodes and records, and how it sends and feeds."""

    @property
    def config(self) -> SimConfig: ...

    @property
    def seed(self) -> int: ...

    @property
    def now(self) -> int:
        """Virtual time of the event being processed, ms."""
        ...

    @property
    def nodes(self) -> Sequence[SimNode]:
        """By index."""
        ...

    @property
    def trace(self) -> TraceRecorder: ...

    @property
    def checker(self) -> SafetyChecker: ...

    def send(self, src: int, out: Outgoing) -> None:
        """Put ``out.message`` on the wire to each recipient through the network model."""
        ...

    def feed(self, node: SimNode, message: EngineInput, from_honest: bool) -> None:
        """Give ``message`` to ``node``'s engine and carry out the effects."""
        ...
