"""Fetching a payload by hash from peers: advertisers first, hedged, with per-peer backoff.

:meth:`PayloadFetcher.fetch` asks the first candidate (:func:`order_candidates`), and one more
each ``hedge_after_s`` without an answer (at once when an attempt fails), up to
``max_in_flight``; the first good answer wins and the pending attempts are cancelled. An attempt
with no answer after ``peer_timeout_s`` no longer counts: its peer is backed off, and its
request runs on in the background up to the network's own deadline, so that a peer that took
the request and never answers is scored by the network layer (``Offence.UNRESPONSIVE``); if
it does answer late, the payload is kept. See ADR 088.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import trio
from trio_typing import TaskStatus

from node.chain.fetch_order import order_candidates
from node.chain.fetch_policy import FailureKind, FetchPolicy, PeerMemory
from node.chain.fetch_race import Attempt, Race
from node.chain.fetch_stats import FetchStats
from node.errors import NodeError
from node.network.errors import (
    NetworkError,
    PeerFaultError,
    PeerUnavailableError,
    StreamTimeoutError,
)
from node.network.values import PeerId

logger = logging.getLogger(__name__)


class FetcherNotRunningError(NodeError):
    """``fetch`` was called while the fetcher's ``run`` task is not running."""


class BlobSource(Protocol):
    """The slice of the network port a fetch needs."""

    def connected_peers(self) -> frozenset[PeerId]: ...

    async def fetch_blob(self, peer: PeerId, blob_hash: bytes, max_size: int) -> bytes: ...


def classify_failure(exc: NetworkError) -> FailureKind | None:
    """The backoff reason for a failed attempt; None when the peer did nothing wrong
    (it does not have the payload, or it answered with an error status)."""
    if isinstance(exc, PeerFaultError):
        return FailureKind.FAULT
    if isinstance(exc, StreamTimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, PeerUnavailableError):
        return FailureKind.UNAVAILABLE
    return None


class PayloadFetcher:
    """Fetches payloads for one node; ``run`` it in the node's nursery first."""

    def __init__(
        self, source: BlobSource, keep: Callable[[bytes], object], policy: FetchPolicy
    ) -> None:
        self._source = source
        self._keep = keep
        self.policy = policy
        self.memory = PeerMemory(policy)
        self.stats = FetchStats()
        self._nursery: trio.Nursery | None = None

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Task: owns the attempts, including those that outlive their fetch."""
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                task_status.started()
                await trio.sleep_forever()
        finally:
            self._nursery = None

    async def fetch(self, blob_hash: bytes, max_size: int, advertisers: Sequence[PeerId]) -> bool:
        """Whether the payload was fetched (and handed to ``keep``) from some peer."""
        if self._nursery is None:
            raise FetcherNotRunningError("PayloadFetcher.run must be running")
        now = trio.current_time()
        order = order_candidates(
            self._source.connected_peers(),
            advertisers,
            self.memory,
            blob_hash,
            now=now,
            unknown_latency_s=self.policy.hedge_after_s,
        )
        race = Race(blob_hash, max_size, now, self.policy, order)
        self.stats.fetches += 1
        try:
            won = await self._run_race(self._nursery, race)
        finally:
            self._settle_losers(race)
        if won:
            self.stats.record_fetched(trio.current_time() - now)
        else:
            self.stats.failed_fetches += 1
        return won

    async def _run_race(self, nursery: trio.Nursery, race: Race) -> bool:
        while not race.won:
            now = trio.current_time()
            self._expire(race, now)
            self._launch_due(nursery, race, now)
            if not race.get_active() or now >= race.deadline:
                return False
            with trio.move_on_at(race.get_wake_time(now)):
                await race.results.receive()
        return True

    def _settle_losers(self, race: Race) -> None:
        now = trio.current_time()
        for attempt in race.finish(now):
            backoff = self.memory.record_unanswered(attempt.peer, now - attempt.started, now)
            if backoff is not None:
                self._log_backoff(attempt.peer, FailureKind.TIMEOUT, backoff, "requests unanswered")

    def _launch_due(self, nursery: trio.Nursery, race: Race, now: float) -> None:
        connected = self._source.connected_peers()
        while race.is_launch_due(now):
            peer = race.queue.popleft()
            if peer not in connected:
                continue
            if race.get_active():
                self.stats.hedges += 1
            attempt = race.add(peer, now)
            nursery.start_soon(self._attempt, race, attempt)

    def _expire(self, race: Race, now: float) -> None:
        for attempt in race.get_active():
            if now >= attempt.started + self.policy.peer_timeout_s:
                attempt.expired = True
                self._record_failure(attempt.peer, FailureKind.TIMEOUT, "no answer in time")

    async def _attempt(self, race: Race, attempt: Attempt) -> None:
        """Task: one request to one peer; settles its own outcome, then tells the race."""
        self.stats.attempts += 1
        data: bytes | None = None
        failure: NetworkError | None = None
        with attempt.scope:
            try:
                data = await self._source.fetch_blob(attempt.peer, race.blob_hash, race.max_size)
            except NetworkError as exc:
                failure = exc
        if data is None and failure is None:
            return  # cancelled: another peer answered first
        attempt.done = True
        elapsed = trio.current_time() - attempt.started
        if data is not None:
            self.memory.record_answer(attempt.peer, elapsed)
            self._keep(data)
        elif failure is not None:
            self._on_failure(attempt, failure, elapsed)
        race.report(data is not None)

    def _on_failure(self, attempt: Attempt, exc: NetworkError, elapsed: float) -> None:
        self.stats.attempt_failures += 1
        kind = classify_failure(exc)
        if kind is None:  # an answer all the same: the peer is alive and speaks the protocol
            logger.debug("payload not served peer=%s: %s", attempt.peer, exc)
            self.memory.record_answer(attempt.peer, elapsed)
        elif not attempt.expired:  # an expired attempt was backed off when it expired
            self._record_failure(attempt.peer, kind, str(exc))

    def _record_failure(self, peer: PeerId, kind: FailureKind, reason: str) -> None:
        if kind is FailureKind.TIMEOUT:
            self.stats.timeouts += 1
        backoff = self.memory.record_failure(peer, kind, trio.current_time())
        self._log_backoff(peer, kind, backoff, reason)

    def _log_backoff(self, peer: PeerId, kind: FailureKind, backoff: float, reason: str) -> None:
        failures = self.memory.get(peer).failures
        level = logging.INFO if failures == 1 else logging.DEBUG  # once per failing streak
        logger.log(
            level,
            "payload peer backed off peer=%s kind=%s failures=%d backoff_s=%.0f reason=%s",
            peer,
            kind.value,
            failures,
            backoff,
            reason.replace("\n", " ")[:200],
        )
