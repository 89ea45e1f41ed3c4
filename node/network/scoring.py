"""Per-peer scores and bans: a pure, immutable score book.

A peer starts at 0. Each offence subtracts a penalty; the score decays linearly back toward 0
with time. A peer whose score falls under the threshold is banned until ``now + ban_s`` and its
score is reset, so it starts clean when the ban ends. Time is always passed in.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from node.network.config import ScoreParams
from node.network.values import PeerId


class Offence(enum.Enum):
    """Why a peer is scored down."""

    REJECTED_MESSAGE = "rejected-message"
    """A gossip message its validator rejected (bad signature, malformed payload)."""
    OVERSIZED_MESSAGE = "oversized-message"
    MALFORMED_FRAME = "malformed-frame"
    OVERSIZED_FRAME = "oversized-frame"
    HASH_MISMATCH = "hash-mismatch"
    UNRESPONSIVE = "unresponsive"
    """It took a request and sent no byte of an answer within ``io_timeout_s`` (ADR 088)."""


@dataclass(frozen=True)
class PeerRecord:
    score: float
    updated_at: float


@dataclass(frozen=True)
class ScoreBook:
    params: ScoreParams
    records: Mapping[PeerId, PeerRecord] = field(default_factory=lambda: MappingProxyType({}))
    bans: Mapping[PeerId, float] = field(default_factory=lambda: MappingProxyType({}))
    """Peer id -> time the ban ends."""


def get_penalty(params: ScoreParams, offence: Offence) -> float:
    """How much one offence costs."""
    if offence is Offence.REJECTED_MESSAGE:
        return params.reject_penalty
    return params.violation_penalty


def get_score(book: ScoreBook, peer: PeerId, now: float) -> float:
    """The peer's current score, decay applied."""
    record = book.records.get(peer)
    if record is None:
        return 0.0
    elapsed = max(0.0, now - record.updated_at)
    return min(0.0, record.score + book.params.decay_per_s * elapsed)


def is_banned(book: ScoreBook, peer: PeerId, now: float) -> bool:
    until = book.bans.get(peer)
    return until is not None and now < until


def process_offence(
    book: ScoreBook, peer: PeerId, offence: Offence, now: float
) -> tuple[ScoreBook, bool]:
    """Apply one offence; returns the new book and whether this offence banned the peer."""
    if is_banned(book, peer, now):
        return book, False
    score = get_score(book, peer, now) - get_penalty(book.params, offence)
    records = dict(book.records)
    if score >= book.params.ban_threshold:
        records[peer] = PeerRecord(score, now)
        return replace(book, records=MappingProxyType(records)), False
    records.pop(peer, None)
    bans = dict(book.bans)
    bans[peer] = now + book.params.ban_s
    return ScoreBook(book.params, MappingProxyType(records), MappingProxyType(bans)), True


def process_expired_bans(book: ScoreBook, now: float) -> tuple[ScoreBook, list[PeerId]]:
    """Drop bans that have ended; returns the new book and the peers released."""
    released = [peer for peer, until in book.bans.items() if now >= until]
    if not released:
        return book, []
    bans = {peer: until for peer, until in book.bans.items() if now < until}
    return replace(book, bans=MappingProxyType(bans)), released
