"""Whom to leave alone for a while when fetching payloads, and how fast each peer answers (pure).

A peer that failed (unreachable, no blob protocol, a protocol fault, no answer within
``peer_timeout_s``) is backed off, doubling while it keeps failing; so is one that left
``max_unanswered`` requests in a row unanswered while other peers answered. Any answer, even
"not found", ends both. Time is always passed in. The order of candidates is in
:mod:`node.chain.fetch_order`.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass

from node.network.values import PeerId

_MAX_REMEMBERED = 1024
_LATENCY_WEIGHT = 0.3


@dataclass(frozen=True)
class FetchPolicy:
    """Timing of payload fetches; see ADR 088."""

    hedge_after_s: float = 0.3
    """Ask one more peer each time this passes without an answer (a hedged request)."""
    peer_timeout_s: float = 2.0
    """A peer with no answer after this is backed off and no longer counts as in flight (its
    request goes on, up to the network's own deadline, which scores a mute peer)."""
    fetch_timeout_s: float = 30.0
    """Upper bound on one whole fetch."""
    max_in_flight: int = 3
    max_unanswered: int = 3
    """Requests in a row a peer may leave unanswered while others answer before its backoff."""
    backoff_initial_s: float = 5.0
    backoff_max_s: float = 300.0


class FailureKind(enum.Enum):
    """Why an attempt failed, for the peer's backoff (a "not found" is no failure)."""

    UNAVAILABLE = "unavailable"
    """No stream: not connected, the blob protocol refused (not spoken), the stream reset."""
    TIMEOUT = "timeout"
    """No answer within ``peer_timeout_s``."""
    FAULT = "fault"
    """A protocol fault (bad frame, hash mismatch); the network layer scored it."""


@dataclass
class PeerRecord:
    """What this node remembers about one peer as a payload source."""

    failures: int = 0
    """Consecutive failures; 0 after any answer."""
    unanswered: int = 0
    """Requests in a row it did not answer (cancelled once another peer had, or timed out)."""
    backed_off_until: float = 0.0
    latency_s: float | None = None
    """Estimated answer time (exponentially weighted), None before any sample."""


class PeerMemory:
    """Backoff and answer-time estimates per peer, bounded in size; time passed in."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self._records: OrderedDict[PeerId, PeerRecord] = OrderedDict()

    def get(self, peer: PeerId) -> PeerRecord:
        """The peer's record (a fresh one for a peer never seen)."""
        record = self._records.get(peer)
        if record is None:
            record = self._records[peer] = PeerRecord()
            if len(self._records) > _MAX_REMEMBERED:
                self._records.popitem(last=False)
        return record

    def is_backed_off(self, peer: PeerId, now: float) -> bool:
        record = self._records.get(peer)
        return record is not None and now < record.backed_off_until

    def count_backed_off(self, now: float) -> int:
        return sum(1 for record in self._records.values() if now < record.backed_off_until)

    def get_latency(self, peer: PeerId) -> float | None:
        record = self._records.get(peer)
        return None if record is None else record.latency_s

    def get_unanswered(self, peer: PeerId) -> int:
        record = self._records.get(peer)
        return 0 if record is None else record.unanswered

    def record_answer(self, peer: PeerId, latency_s: float) -> None:
        """An answer (the payload, or "not found"): the backoff ends, the answer time counts."""
        record = self.get(peer)
        record.failures, record.unanswered, record.backed_off_until = 0, 0, 0.0
        self._sample(record, latency_s)

    def record_unanswered(self, peer: PeerId, waited_s: float, now: float) -> float | None:
        """Another peer answered first while this one had waited ``waited_s``. Returns the
        backoff when this makes ``max_unanswered`` in a row, else None."""
        record = self.get(peer)
        record.unanswered += 1
        self._sample(record, waited_s)
        if record.unanswered % self._policy.max_unanswered:
            return None
        return self.record_failure(peer, FailureKind.TIMEOUT, now)

    def record_failure(self, peer: PeerId, kind: FailureKind, now: float) -> float:
        """Back the peer off; returns the backoff in seconds."""
        record = self.get(peer)
        record.failures += 1
        backoff = compute_backoff(self._policy, record.failures)
        record.backed_off_until = now + backoff
        if kind is FailureKind.TIMEOUT:
            record.unanswered += 1
            self._sample(record, self._policy.peer_timeout_s)
        return backoff

    @staticmethod
    def _sample(record: PeerRecord, seconds: float) -> None:
        old = record.latency_s
        record.latency_s = seconds if old is None else old + _LATENCY_WEIGHT * (seconds - old)


def compute_backoff(policy: FetchPolicy, failures: int) -> float:
    """Backoff after ``failures`` consecutive failures (>= 1): doubling, capped."""
    exponent = min(max(failures - 1, 0), 32)
    return min(policy.backoff_max_s, policy.backoff_initial_s * 2.0**exponent)
