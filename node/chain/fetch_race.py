"""The state of one payload fetch in progress: the peers still to ask and the attempts made.

Synchronous and free of I/O apart from the cancel scopes and the wake-up channel, so that
:class:`~node.chain.payload_fetch.PayloadFetcher` stays a small loop around it.
"""

from __future__ import annotations

import contextlib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import trio

from node.chain.fetch_policy import FetchPolicy
from node.network.values import PeerId

_EPSILON = 1e-6
"""Tolerance for counting hedge periods: a clock woken exactly at a period's end (in floating
point, a hair before it) must count that period, or the fetch would wake again at once."""


@dataclass
class Attempt:
    """One request to one peer."""

    peer: PeerId
    started: float
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    expired: bool = False
    """No answer within ``peer_timeout_s``: no longer in flight (it runs on, uncancelled)."""
    done: bool = False


class Race:
    """One fetch: the queue of candidates, the attempts, and whether one answered."""

    def __init__(
        self,
        blob_hash: bytes,
        max_size: int,
        started: float,
        policy: FetchPolicy,
        order: Sequence[PeerId],
    ) -> None:
        self.blob_hash = blob_hash
        self.max_size = max_size
        self.started = started
        self.deadline = started + policy.fetch_timeout_s
        self.queue = deque(order)
        self.attempts: list[Attempt] = []
        self.won = False
        self._policy = policy
        self._wake, self.results = trio.open_memory_channel[bool](math.inf)

    def get_active(self) -> list[Attempt]:
        """Attempts in flight: neither finished nor past ``peer_timeout_s``."""
        return [a for a in self.attempts if not a.done and not a.expired]

    def get_target(self, now: float) -> int:
        """How many attempts may be in flight at ``now``: one more per hedge period."""
        periods = math.floor((now - self.started) / self._policy.hedge_after_s + _EPSILON)
        return max(1, min(self._policy.max_in_flight, 1 + periods))

    def is_launch_due(self, now: float) -> bool:
        return bool(self.queue) and len(self.get_active()) < self.get_target(now)

    def get_wake_time(self, now: float) -> float:
        """When the fetch must look again without news (call it after launching what is due):
        the next hedge period, a peer timeout, the end."""
        active = self.get_active()
        times = [self.deadline, *(a.started + self._policy.peer_timeout_s for a in active)]
        target = self.get_target(now)
        if self.queue and target < self._policy.max_in_flight:
            times.append(self.started + self._policy.hedge_after_s * target)
        return min(times)

    def add(self, peer: PeerId, now: float) -> Attempt:
        attempt = Attempt(peer, now)
        self.attempts.append(attempt)
        return attempt

    def report(self, ok: bool) -> None:
        """An attempt finished (``ok``: with the payload); wakes the fetch if it still runs."""
        if self.won:
            return
        self.won = ok
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            self._wake.send_nowait(ok)  # closed: the fetch is over, the attempt settled itself

    def finish(self, now: float) -> list[Attempt]:
        """End the fetch: cancel the attempts in flight (expired ones run on). Returns the
        cancelled ones that had waited a hedge period or more while another peer answered
        (they count as unanswered)."""
        self._wake.close()
        active = self.get_active()
        for attempt in active:
            attempt.scope.cancel()
        if not self.won:
            return []
        return [a for a in active if now - a.started >= self._policy.hedge_after_s]
