"""Perturbations and partitions of a manifest, in virtual time (ms = manifest seconds x 1000).

- ``kill`` / ``restart``: the node is down (every input dropped, nothing sent) for
  ``duration_s``; it then restarts from its persisted state and catches up by block sync.
- ``pause``: the node's inputs (messages, timers, its training job) are held and delivered,
  in order, when it resumes.
- ``disconnect``: every message from or to the node is lost.
- partitions: the simulator's network-model partitions (nodes in no group form one more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from node.scenario.manifest import Action, Manifest
from node.scenario.report import Mark
from node.scenario.simulate.events import Control
from node.sim.config import Partition
from node.sim.events import SimEvent
from node.sim.queue import Scheduled

MS_PER_S = 1000


def to_ms(seconds: float) -> int:
    return round(seconds * MS_PER_S)


def build_partitions(manifest: Manifest) -> tuple[Partition, ...]:
    names = [n.name for n in manifest.nodes]
    return tuple(
        Partition(
            to_ms(p.at_s),
            to_ms(p.heal_at_s),
            tuple(tuple(names.index(name) for name in group) for group in p.groups),
        )
        for p in manifest.partitions
    )


def build_controls(manifest: Manifest) -> list[tuple[int, Control]]:
    """Every node start and perturbation edge, by time (the manifest's order among equals)."""
    names = [n.name for n in manifest.nodes]
    controls = [(to_ms(n.start_at_s), Control(None, i, True)) for i, n in enumerate(manifest.nodes)]
    for p in manifest.perturbations:
        index = names.index(p.node)
        controls.append((to_ms(p.at_s), Control(p.action, index, True)))
        controls.append((to_ms(p.end_s), Control(p.action, index, False)))
    return sorted(controls, key=lambda c: c[0])


def build_marks(manifest: Manifest) -> list[Mark]:
    marks = []
    for p in manifest.perturbations:
        marks.append(Mark(p.at_s, p.action.value, (p.node,), "start"))
        marks.append(Mark(p.end_s, p.action.value, (p.node,), "end"))
    for part in manifest.partitions:
        members = tuple(name for group in part.groups for name in group)
        marks.append(Mark(part.at_s, "partition", members, "start"))
        marks.append(Mark(part.heal_at_s, "partition", members, "end"))
    return sorted(marks, key=lambda m: (m.t_s, m.phase != "end"))


def get_schedule_end_ms(manifest: Manifest) -> int:
    """When the last perturbation, partition or late start has played out."""
    ends = [to_ms(p.end_s) for p in manifest.perturbations]
    ends += [to_ms(p.heal_at_s) for p in manifest.partitions]
    ends += [to_ms(n.start_at_s) for n in manifest.nodes]
    return max(ends, default=0)


SETTLE_MS = 5_000
"""A run with perturbations is neither done nor judged before this long after the last one
ends (its duration is stretched to cover it): a run ending at a heal or with a node still down
would show nothing of the recovery."""


def get_settled_ms(manifest: Manifest) -> int:
    """When the schedule has played out and the network had time to settle (0: no schedule)."""
    end_ms = get_schedule_end_ms(manifest)
    return end_ms + SETTLE_MS if end_ms else 0


@dataclass
class NodeStatus:
    """Whether each node runs, is paused (and what waits for it) or is cut off."""

    count: int
    down: list[bool] = field(default_factory=list)
    held: dict[int, list[Scheduled[SimEvent]]] = field(default_factory=dict)
    cut: set[int] = field(default_factory=set)
    starts: list[int] = field(default_factory=list)
    perturbed: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.down = [True] * self.count  # until its start
        self.starts = [0] * self.count
        self.perturbed = [False] * self.count

    def is_crash(self, action: Action | None) -> bool:
        return action in (Action.KILL, Action.RESTART)
