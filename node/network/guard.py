"""The shell around the score book and the block list: whom the network refuses and drops.

Nothing here raises to its caller: ``penalize`` runs inside pubsub validators, stream handlers
and the pubsub read loop, where an exception would end a peer's stream or (in py-libp2p's
service tasks) the whole node. A ban or unban callback that raises is logged and the ban
stands.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from node.network.config import ScoreParams
from node.network.errors import NetworkError
from node.network.peer_metrics import IgnoreReason, PeerMetrics
from node.network.scoring import (
    Offence,
    ScoreBook,
    get_score,
    is_banned,
    process_expired_bans,
    process_offence,
)
from node.network.values import BlockList, PeerId

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PeerGuard:
    """Keeps the score book and the operator's block list of one node.

    Calls ``on_ban`` / ``on_unban`` on ban transitions. A peer is *refused* (no connection,
    no stream, no gossip) while it is banned or blocked.
    """

    def __init__(
        self,
        params: ScoreParams,
        on_ban: Callable[[PeerId], None],
        on_unban: Callable[[PeerId], None],
    ) -> None:
        self._book = ScoreBook(params)
        self._on_ban = on_ban
        self._on_unban = on_unban
        self._blocked = BlockList()
        self.metrics = PeerMetrics()

    def penalize(self, peer: PeerId, offence: Offence) -> None:
        """Score one offence by ``peer``; bans it (and calls ``on_ban``) under the threshold."""
        now = trio.current_time()
        self._book, banned = process_offence(self._book, peer, offence, now)
        self.metrics.record_offence(offence)
        logger.info(
            "peer offence peer=%s offence=%s score=%.1f banned=%s",
            peer,
            offence.value,
            get_score(self._book, peer, now),
            banned,
        )
        if banned:
            self.metrics.record_ban()
            _call_safely(self._on_ban, peer, "ban")

    def note_ignored(self, reason: IgnoreReason) -> None:
        """Count one inbound gossip message dropped without scoring its forwarder."""
        self.metrics.record_ignore(reason)

    def get_metrics(self, connected: frozenset[PeerId]) -> dict[str, float]:
        """Peer-level ``/metrics`` samples: the score of each connected peer, the counters."""
        now = trio.current_time()
        scores = {peer: get_score(self._book, peer, now) for peer in sorted(connected)}
        banned = sum(1 for peer in self._book.bans if is_banned(self._book, peer, now))
        return self.metrics.get_samples(scores, banned)

    async def timed_fetch(self, peer: PeerId, protocol: str, fetch: Awaitable[T]) -> T:
        """Run one client exchange with ``peer`` and record its time and outcome (by error
        class) for ``/metrics``; its NetworkError, if any, goes on to the caller."""
        started = trio.current_time()
        try:
            result = await fetch
        except NetworkError as exc:
            elapsed = trio.current_time() - started
            self.metrics.record_fetch(peer, protocol, elapsed, type(exc).__name__)
            raise
        self.metrics.record_fetch(peer, protocol, trio.current_time() - started)
        return result

    def get_score(self, peer: PeerId) -> float:
        return get_score(self._book, peer, trio.current_time())

    def is_banned(self, peer: PeerId) -> bool:
        return is_banned(self._book, peer, trio.current_time())

    def get_blocked(self) -> BlockList:
        return self._blocked

    def set_blocked(self, blocked: BlockList) -> None:
        if blocked != self._blocked:
            logger.info("block list changed peers=%d all=%s", len(blocked.peers), blocked.block_all)
        self._blocked = blocked

    def is_blocked(self, peer: PeerId) -> bool:
        return self._blocked.is_blocked(peer)

    def is_refused(self, peer: PeerId) -> bool:
        """Banned or blocked: neither dialed nor accepted nor served."""
        return self.is_blocked(peer) or self.is_banned(peer)

    def release_expired(self) -> None:
        """End bans whose time is up (call periodically)."""
        self._book, released = process_expired_bans(self._book, trio.current_time())
        for peer in released:
            logger.info("peer ban ended peer=%s", peer)
            _call_safely(self._on_unban, peer, "unban")

    async def run_expiry(self, period_s: float = 1.0) -> None:
        """Task: release expired bans every ``period_s``."""
        while True:
            await trio.sleep(period_s)
            self.release_expired()


def _call_safely(callback: Callable[[PeerId], None], peer: PeerId, what: str) -> None:
    """Run a ban transition callback; its failure is logged, never raised to the caller."""
    try:
        callback(peer)
    except Exception:
        logger.exception("peer %s callback failed peer=%s", what, peer)
