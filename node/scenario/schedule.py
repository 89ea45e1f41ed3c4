"""The timeline of a run: what happens when, as data (pure).

:func:`build_schedule` turns a manifest's late starts, perturbations and partitions into one
sorted tuple of :class:`Event`. Each perturbation and partition gives a ``begin`` and an
``end`` event; at one instant every ``end`` comes before any ``begin`` (a node is brought back
before the next fault starts). :func:`compute_block_lists` says which peers each node must
refuse for a set of active partitions and disconnected nodes (the loopback way to cut links).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from node.scenario.manifest import Action, Manifest

START = "start"
"""The action of a late joiner's first start."""
PARTITION = "partition"


class Phase(enum.Enum):
    BEGIN = "begin"
    END = "end"


@dataclass(frozen=True)
class Event:
    """One step of the timeline: ``action`` (an :class:`Action` value, ``start`` or
    ``partition``) begins or ends at ``at_s`` for ``nodes``."""

    at_s: float
    action: str
    phase: Phase
    nodes: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...] = ()
    """A partition's groups (the nodes named in none form one more group)."""

    @property
    def label(self) -> str:
        return f"{self.action} {','.join(self.nodes)} {self.phase.value}"


@dataclass(frozen=True)
class BlockedPeers:
    """The peers (by node name) one node refuses; ``block_all`` refuses every peer."""

    peers: frozenset[str] = frozenset()
    block_all: bool = False


def build_schedule(manifest: Manifest) -> tuple[Event, ...]:
    """Every event of ``manifest`` in the order the runner applies them."""
    names = tuple(n.name for n in manifest.nodes)
    events = [Event(n.start_at_s, START, Phase.BEGIN, (n.name,)) for n in manifest.nodes]
    events = [e for e in events if e.at_s > 0]
    for p in manifest.perturbations:
        events.append(Event(p.at_s, p.action.value, Phase.BEGIN, (p.node,)))
        events.append(Event(p.end_s, p.action.value, Phase.END, (p.node,)))
    for part in manifest.partitions:
        groups = complete_groups(part.groups, names)
        members = tuple(sorted(n for g in groups for n in g))
        events.append(Event(part.at_s, PARTITION, Phase.BEGIN, members, groups))
        events.append(Event(part.heal_at_s, PARTITION, Phase.END, members, groups))
    return tuple(sorted(events, key=lambda e: (e.at_s, e.phase is Phase.BEGIN)))


def complete_groups(
    groups: Iterable[Sequence[str]], names: Sequence[str]
) -> tuple[tuple[str, ...], ...]:
    """``groups`` plus one group of the nodes named in none (if any)."""
    listed = tuple(tuple(g) for g in groups if g)
    named = {n for g in listed for n in g}
    rest = tuple(n for n in names if n not in named)
    return (*listed, rest) if rest else listed


def get_due(schedule: Sequence[Event], fired: int, now_s: float) -> tuple[Event, ...]:
    """The events after the first ``fired`` whose time has come."""
    due = []
    for event in schedule[fired:]:
        if event.at_s > now_s:
            break
        due.append(event)
    return tuple(due)


def get_schedule_end_s(schedule: Sequence[Event]) -> float:
    """When the last event happens (0 for an empty schedule)."""
    return max((e.at_s for e in schedule), default=0.0)


def get_perturbed(manifest: Manifest) -> frozenset[str]:
    """Nodes killed, paused, restarted or disconnected at least once."""
    return frozenset(p.node for p in manifest.perturbations)


def is_process_action(action: str) -> bool:
    """Whether ``action`` signals the node's process (rather than its links)."""
    return action in {Action.KILL.value, Action.PAUSE.value, Action.RESTART.value}


def compute_block_lists(
    names: Sequence[str],
    partitions: Iterable[Sequence[Sequence[str]]],
    disconnected: Iterable[str],
) -> dict[str, BlockedPeers]:
    """Each node's block list while ``partitions`` (lists of groups) are active and the
    ``disconnected`` nodes are cut off: a node refuses every peer outside its own group in any
    active partition, and a disconnected node refuses all (the others refuse it too)."""
    cut = frozenset(disconnected)
    refused: dict[str, set[str]] = {n: set() for n in names}
    for groups in partitions:
        for group in complete_groups(groups, names):
            outside = set(names) - set(group)
            for member in group:
                refused[member] |= outside
    for name in names:
        if name not in cut:
            refused[name] |= cut & set(names)
        refused[name].discard(name)
    return {n: BlockedPeers(frozenset(refused[n]), n in cut) for n in names}
