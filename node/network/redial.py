"""Keep configured peers connected: redial with exponential backoff, skip refused peers."""

import logging
from collections.abc import Awaitable, Callable

import trio

from node.network.config import RedialParams
from node.network.errors import NetworkError
from node.network.peer_id import get_addr_peer_id
from node.network.values import PeerId

logger = logging.getLogger(__name__)


def compute_next_backoff(current_s: float, params: RedialParams) -> float:
    """The wait after one more failed dial."""
    return min(params.max_s, max(params.initial_s, current_s * params.factor))


async def maintain_peer(
    addr: str,
    dial: Callable[[str], Awaitable[PeerId]],
    is_connected: Callable[[PeerId], bool],
    is_refused: Callable[[PeerId], bool],
    params: RedialParams,
) -> None:
    """Task: dial ``addr`` whenever its peer is neither connected nor refused (banned or
    blocked). A refused peer is not dialed at all; once it is allowed again the next check
    (within ``params.check_s``) dials it with the backoff reset. A peer that closes each
    link right after our dial (it refuses us) is redialed with the growing backoff."""
    peer = get_addr_peer_id(addr)
    backoff = params.initial_s
    while True:
        if is_connected(peer) or is_refused(peer):
            backoff = params.initial_s
            await trio.sleep(params.check_s)
            continue
        try:
            await dial(addr)
        except NetworkError as exc:
            logger.debug("redial failed peer=%s backoff_s=%.2f error=%s", peer, backoff, exc)
        else:
            logger.info("peer connected peer=%s addr=%s", peer, addr)
            await trio.sleep(params.check_s)
            if is_connected(peer):
                continue
            # The peer closed the link at once (it has blocked or banned us): back off.
            logger.debug("peer dropped the link at once peer=%s backoff_s=%.2f", peer, backoff)
        await trio.sleep(backoff)
        backoff = compute_next_backoff(backoff, params)
