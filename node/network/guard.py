"""The shell around the score book: reads the trio clock and tells the network whom to drop."""

import logging
from collections.abc import Callable

import trio

from node.network.config import ScoreParams
from node.network.scoring import (
    Offence,
    ScoreBook,
    get_score,
    is_banned,
    process_expired_bans,
    process_offence,
)
from node.network.values import PeerId

logger = logging.getLogger(__name__)


class PeerGuard:
    """Keeps the score book of one node; calls ``on_ban`` / ``on_unban`` on transitions."""

    def __init__(
        self,
        params: ScoreParams,
        on_ban: Callable[[PeerId], None],
        on_unban: Callable[[PeerId], None],
    ) -> None:
        self._book = ScoreBook(params)
        self._on_ban = on_ban
        self._on_unban = on_unban

    def penalize(self, peer: PeerId, offence: Offence) -> None:
        """Score one offence by ``peer``; bans it (and calls ``on_ban``) under the threshold."""
        now = trio.current_time()
        self._book, banned = process_offence(self._book, peer, offence, now)
        logger.info(
            "peer offence peer=%s offence=%s score=%.1f banned=%s",
            peer,
            offence.value,
            get_score(self._book, peer, now),
            banned,
        )
        if banned:
            self._on_ban(peer)

    def get_score(self, peer: PeerId) -> float:
        return get_score(self._book, peer, trio.current_time())

    def is_banned(self, peer: PeerId) -> bool:
        return is_banned(self._book, peer, trio.current_time())

    def release_expired(self) -> None:
        """End bans whose time is up (call periodically)."""
        self._book, released = process_expired_bans(self._book, trio.current_time())
        for peer in released:
            logger.info("peer ban ended peer=%s", peer)
            self._on_unban(peer)

    async def run_expiry(self, period_s: float = 1.0) -> None:
        """Task: release expired bans every ``period_s``."""
        while True:
            await trio.sleep(period_s)
            self.release_expired()
