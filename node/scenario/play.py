"""One run in motion: poll the nodes, play the schedule, decide when it is done, observe.

:class:`Play` is driven by :mod:`node.scenario.runner`, which owns the processes' lifecycle.
Time comes from an injected clock (seconds, monotonic); the wall clock is read once, to place
block header times on the run's timeline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from node.api.client import ApiClient
from node.scenario.control import Fleet
from node.scenario.joiner import Joiner
from node.scenario.manifest import Byzantine, Manifest
from node.scenario.observe import (
    Fetch,
    ObserveError,
    StatusRow,
    fetch_models,
    fetch_status,
    fetch_tombstoned,
    fetch_validators,
)
from node.scenario.progress import NodeLine, ProgressDisplay, render_progress
from node.scenario.report import HeightSample
from node.scenario.schedule import Event, build_schedule, get_due
from node.scenario.tracking import BlockLog, VersionLog

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
BLOCKS_PER_POLL = 25
GRACE_BLOCKS = 3
"""Blocks the network must finalize after the schedule played out before a run may end."""


@dataclass(frozen=True)
class Member:
    """A node of the run as the runner addresses it."""

    name: str
    address: str
    honest: bool
    fetch: Fetch
    client: ApiClient
    """For writes (the token, when the API needs one)."""


class Play:
    """The state of a run between the start of its timeline and its last observation."""

    def __init__(self, manifest: Manifest, fleet: Fleet, members: list[Member], clock: Clock):
        self.manifest = manifest
        self.fleet = fleet
        self.members = members
        self.clock = clock
        self.schedule: tuple[Event, ...] = build_schedule(manifest)
        self.fired = 0
        self.blocks = {m.name: BlockLog() for m in members}
        self.versions = VersionLog()
        self.statuses: dict[str, StatusRow | None] = {m.name: None for m in members}
        self.heights: list[HeightSample] = []
        self.joiners = [
            Joiner(n.name, fleet.node(n.name).home, n.join_bond)
            for n in manifest.nodes
            if n.join_as_candidate
        ]
        self.t0 = clock()
        self.wall0_ms = int(time.time() * 1000)
        self.quiet_tip: int | None = None
        self._sampled_at: dict[str, float] = {}

    def now(self) -> float:
        return self.clock() - self.t0

    def begin(self) -> None:
        """Start the timeline now (the nodes of the first instant are serving)."""
        self.t0 = self.clock()
        self.wall0_ms = int(time.time() * 1000)

    def step(self) -> None:
        """Fire the events that are due, then poll every node once."""
        t = self.now()
        for event in get_due(self.schedule, self.fired, t):
            self.fleet.apply(event, t)
            self.fired += 1
        self.poll(t)

    def poll(self, t: float) -> None:
        reachable = set()
        for member in self.members:
            status = self.fetch_status(member)
            self.statuses[member.name] = status
            if status is None:
                continue
            reachable.add(member.name)
            self._sample(member.name, status, t)
            self.blocks[member.name].catch_up(member.fetch, status.height, BLOCKS_PER_POLL)
        self.fleet.links.refresh(frozenset(reachable))
        reference = self.reference()
        if reference is not None:
            self.versions.update(fetch_models(reference.fetch) or [], round(t, 3))
        self._advance_joiners()

    def fetch_status(self, member: Member) -> StatusRow | None:
        """The member's status, None while it is stopped, paused or not answering."""
        if not self.is_askable(member):
            return None
        try:
            return fetch_status(member.fetch)
        except ObserveError as exc:
            logger.warning("bad status reply node=%s error=%s", member.name, exc)
            return None

    def is_askable(self, member: Member) -> bool:
        """Whether the member's process runs and is not paused."""
        return member.name not in self.fleet.paused and self.fleet.node(member.name).is_running

    def _sample(self, name: str, status: StatusRow, t: float) -> None:
        if t - self._sampled_at.get(name, -1.0) >= 1.0:
            self._sampled_at[name] = t
            self.heights.append(HeightSample(round(t, 3), name, status.height))

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def reference(self) -> Member | None:
        """The honest node answering now, preferring one the schedule never touched."""
        touched = {p.node for p in self.manifest.perturbations}
        answering = [m for m in self.members if m.honest and self.statuses.get(m.name)]
        calm = [m for m in answering if m.name not in touched]
        chosen = calm or answering
        return chosen[0] if chosen else None

    def tip(self) -> int:
        return max((s.height for s in self.statuses.values() if s is not None), default=0)

    def _advance_joiners(self) -> None:
        tip = self.tip()
        for joiner in self.joiners:
            status = self.statuses.get(joiner.name)
            if joiner.is_submitted or status is None or status.height < max(1, tip - 2):
                continue
            joiner.advance(self.member(joiner.name).client)

    def is_settled(self) -> bool:
        """Every honest node answers and is within ``catch_up_blocks`` of the tip."""
        honest = [self.statuses.get(m.name) for m in self.members if m.honest]
        if not honest or any(s is None for s in honest):
            return False
        low = min(s.height for s in honest if s is not None)
        return low >= self.tip() - self.manifest.checks.catch_up_blocks

    def is_done(self) -> bool:
        """The schedule played out, a grace of blocks passed, and every goal is reached."""
        if self.fired < len(self.schedule) or self.fleet.is_perturbed:
            return False
        if self.quiet_tip is None:
            self.quiet_tip = self.tip()
        checks = self.manifest.checks
        if self.tip() < self.quiet_tip + GRACE_BLOCKS or not self.is_settled():
            return False
        honest = [s for m in self.members if m.honest and (s := self.statuses.get(m.name))]
        if min(s.height for s in honest) < checks.min_height:
            return False
        target = checks.target_accuracy
        wants_accuracy = target is not None and bool(self.manifest.trainers)
        if wants_accuracy and self.versions.first_reaching(target or 0.0) is None:
            return False
        return self._goals_on_chain()

    def _goals_on_chain(self) -> bool:
        """Joiners elected and double signers tombstoned, as the reference node sees it."""
        reference = self.reference()
        checks, names = self.manifest.checks, {m.name: m for m in self.members}
        joiners = [j.name for j in self.joiners] if checks.elect_joiners else []
        signers = (
            [n.name for n in self.manifest.nodes if n.byzantine is Byzantine.DOUBLE_SIGNER]
            if checks.slash_double_signers
            else []
        )
        if not joiners and not signers:
            return True
        if reference is None:
            return False
        validators = (fetch_validators(reference.fetch) or frozenset()) if joiners else frozenset()
        tombstoned = (fetch_tombstoned(reference.fetch) or frozenset()) if signers else frozenset()
        return all(names[j].address in validators for j in joiners) and all(
            names[s].address in tombstoned for s in signers
        )

    def show(self, display: ProgressDisplay, duration_s: float) -> None:
        lines = [NodeLine(m.name, self._state(m.name), self.statuses[m.name]) for m in self.members]
        pending = self.schedule[self.fired :]
        upcoming = f"{pending[0].label} at {pending[0].at_s:g}s" if pending else "schedule done"
        best = max((p.accuracy or 0.0 for p in self.versions.points.values()), default=None)
        title = f"{self.manifest.name}: {self.now():.0f}s of {duration_s:g}s"
        display.show(render_progress(title, lines, best, upcoming))

    def _state(self, name: str) -> str:
        fleet = self.fleet
        if name in fleet.paused:
            return "paused"
        if name in fleet.down:
            return "down"
        if not fleet.node(name).is_running:
            return "not started"
        if name in fleet.disconnected:
            return "cut off"
        if fleet.partitions:
            return "partitioned"
        return "running" if self.statuses.get(name) else "no answer"
