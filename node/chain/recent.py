"""What we signed lately, kept for re-sending while a height stalls, and bounded.

Only messages of the height being decided are ever re-sent (older heights are final; a peer
that missed them syncs blocks), so adding a message of height h forgets everything below h.
Before, the messages were pruned only when a height stalled, so on a healthy chain they
accumulated for ever (three per height per validator, each holding its block or signature).
"""

from __future__ import annotations

from typing import Final

from consensus.bft.events import ProposalMessage
from consensus.encoding import encode
from consensus.messages import SignedVote

MAX_RECENT: Final = 256
"""A hard cap: a stalled height that runs through many rounds keeps only the newest messages."""

Signed = SignedVote | ProposalMessage


def get_position(message: Signed) -> tuple[int, int]:
    """(height, round) of a vote or proposal."""
    if isinstance(message, SignedVote):
        return message.vote.height, message.vote.round
    return message.block.height, message.signed.proposal.round


class RecentMessages:
    """Our signed votes and proposals of the newest height, at most ``limit`` of them."""

    def __init__(self, limit: int = MAX_RECENT) -> None:
        self._limit = limit
        self._messages: dict[bytes, Signed] = {}
        self._height = 0

    def __len__(self) -> int:
        return len(self._messages)

    def add(self, message: Signed) -> None:
        height, _ = get_position(message)
        if height < self._height:
            return  # a re-broadcast of an old height: never re-sent, so not kept
        if height > self._height:
            self._height = height
            self.forget_below(height)
        key = encode(message.vote) if isinstance(message, SignedVote) else message.block.hash
        self._messages.pop(key, None)
        self._messages[key] = message
        while len(self._messages) > self._limit:
            del self._messages[next(iter(self._messages))]

    def forget_below(self, height: int) -> None:
        stale = [k for k, m in self._messages.items() if get_position(m)[0] < height]
        for key in stale:
            del self._messages[key]

    def get_latest_round(self, height: int) -> list[Signed]:
        """What to re-send at ``height``: our messages of its latest round (older rounds are
        moot); forgets everything below ``height``."""
        self.forget_below(height)
        current = [m for m in self._messages.values() if get_position(m)[0] == height]
        latest = max((get_position(m)[1] for m in current), default=0)
        return [m for m in current if get_position(m)[1] == latest]
