"""Carry out the schedule on real processes and links; remember what is perturbed right now.

:class:`Fleet` owns the cluster's processes: it starts nodes (remembering their session ids
for the final sweep), applies each :class:`~node.scenario.schedule.Event` (kill, pause,
restart, disconnect, partition, a late start) and undoes everything still active when the
run ends.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, field

from node.ops.launcher import Cluster, NodeProcess
from node.scenario.links import Groups, Links
from node.scenario.manifest import Action
from node.scenario.report import Mark
from node.scenario.schedule import PARTITION, START, Event, Phase

logger = logging.getLogger(__name__)


@dataclass
class Fleet:
    """The processes of a run and the perturbations in force."""

    cluster: Cluster
    links: Links
    down: set[str] = field(default_factory=set)
    """Killed or stopped by the schedule, to be started again."""
    paused: set[str] = field(default_factory=set)
    disconnected: set[str] = field(default_factory=set)
    partitions: list[Groups] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)
    """Session ids of every process started (for the final sweep)."""

    def node(self, name: str) -> NodeProcess:
        return next(n for n in self.cluster.nodes if n.name == name)

    def start(self, name: str) -> None:
        node = self.node(name)
        self.cluster.start(node)
        if node.process is not None:
            self.sessions.append(node.process.pid)
        self.links.forget(name)
        self.down.discard(name)

    @property
    def is_perturbed(self) -> bool:
        return bool(self.down or self.paused or self.disconnected or self.partitions)

    def apply(self, event: Event, t_s: float) -> None:
        """Carry out one event of the schedule and mark it."""
        logger.info("event t=%.1f %s", t_s, event.label)
        self.marks.append(Mark(round(t_s, 3), event.action, event.nodes, event.phase.value))
        if event.action == START:
            self.start(event.nodes[0])
        elif event.action == PARTITION:
            self._partition(event)
        else:
            self._perturb(Action(event.action), event.phase, event.nodes[0])

    def _perturb(self, action: Action, phase: Phase, name: str) -> None:
        begin = phase is Phase.BEGIN
        if action is Action.DISCONNECT:
            (self.disconnected.add if begin else self.disconnected.discard)(name)
            self._retarget()
        elif action is Action.PAUSE:
            self._pause(name) if begin else self._resume(name)
        elif begin:
            self._resume(name)  # a paused node cannot be stopped gracefully
            if action is Action.KILL:
                self.cluster.kill(self.node(name))
            else:
                self.cluster.stop(self.node(name))
            self.down.add(name)
        elif name in self.down:
            self.start(name)

    def _pause(self, name: str) -> None:
        node = self.node(name)
        if node.is_running:
            self.cluster.signal_group(node, signal.SIGSTOP)
            self.paused.add(name)

    def _resume(self, name: str) -> None:
        if name in self.paused:
            self.cluster.signal_group(self.node(name), signal.SIGCONT)
            self.paused.discard(name)

    def _partition(self, event: Event) -> None:
        if event.phase is Phase.BEGIN:
            self.partitions.append(event.groups)
        elif event.groups in self.partitions:
            self.partitions.remove(event.groups)
        self._retarget()

    def _retarget(self) -> None:
        self.links.set_target(tuple(self.partitions), frozenset(self.disconnected))

    def undo_all(self, t_s: float) -> None:
        """Resume paused nodes, start stopped ones, reconnect and heal (the run is ending)."""
        undone = sorted(self.paused | self.down | self.disconnected)
        for name in sorted(self.paused):
            self._resume(name)
        for name in sorted(self.down):
            self.start(name)
        if self.disconnected or self.partitions:
            self.disconnected.clear()
            self.partitions.clear()
            self._retarget()
            undone.append(PARTITION)
        if undone:
            self.marks.append(Mark(round(t_s, 3), "undo", tuple(undone), Phase.END.value))

    def stop_all(self) -> None:
        """Resume paused nodes, stop every node and close the cluster's lifeline."""
        for name in sorted(self.paused):
            self._resume(name)
        self.cluster.close()
