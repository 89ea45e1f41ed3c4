"""Whom to ask for a payload, in which order, and whom to leave alone for a while (pure).

Peers that advertised the payload (the delta's sender, the block's proposer, the peer whose
gossip carried it) come first, in the caller's order. Every other connected peer follows, the
fastest answerers first (an estimate of each peer's answer time) and, among equals, in an order
drawn from the payload hash: no peer can choose an id that puts it first for every payload.
A peer that failed (unreachable, no blob protocol, a protocol fault, no answer in time) is
backed off, with exponential growth while it keeps failing. Time is always passed in.
"""

from __future__ import annotations

import enum
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
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
    """Consecutive failures; 0 after any success."""
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

    def record_success(self, peer: PeerId, latency_s: float) -> None:
        """An answer: the backoff ends, the answer time counts."""
        record = self.get(peer)
        record.failures, record.backed_off_until = 0, 0.0
        self._sample(record, latency_s)

    def record_slow(self, peer: PeerId, waited_s: float) -> None:
        """Another peer answered first while this one had waited ``waited_s`` (no failure)."""
        self._sample(self.get(peer), waited_s)

    def record_failure(self, peer: PeerId, kind: FailureKind, now: float) -> float:
        """Back the peer off; returns the backoff in seconds."""
        record = self.get(peer)
        record.failures += 1
        backoff = compute_backoff(self._policy, record.failures)
        record.backed_off_until = now + backoff
        if kind is FailureKind.TIMEOUT:
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


def compute_spread_key(blob_hash: bytes, peer: PeerId) -> bytes:
    """A per-payload order of peers that no peer id can put first for every payload."""
    return hashlib.sha256(blob_hash + peer.encode()).digest()


def order_candidates(
    connected: Iterable[PeerId],
    advertisers: Sequence[PeerId],
    memory: PeerMemory,
    blob_hash: bytes,
    *,
    now: float,
    unknown_latency_s: float,
) -> list[PeerId]:
    """Connected peers in the order to ask them for ``blob_hash``.

    Advertisers first (in the given order), then the other peers by estimated answer time
    (``unknown_latency_s`` for a peer never asked) and spread key; backed-off advertisers
    last, backed-off other peers not at all.
    """
    live = set(connected)
    ready = {p for p in live if not memory.is_backed_off(p, now)}
    named = list(dict.fromkeys(p for p in advertisers if p in live))
    first = [p for p in named if p in ready]
    others = sorted(
        ready.difference(named),
        key=lambda p: (
            _get_estimate(memory, p, unknown_latency_s),
            compute_spread_key(blob_hash, p),
        ),
    )
    return first + others + [p for p in named if p not in ready]


def _get_estimate(memory: PeerMemory, peer: PeerId, default: float) -> float:
    latency = memory.get_latency(peer)
    return default if latency is None else latency
