"""Request/response exchanges with scoring and deadlines, shared by both implementations.

An implementation supplies ``open_stream(peer, kind)``; :class:`Exchanges` runs the client
side of each protocol under the fetch deadline and :meth:`Exchanges.on_inbound` serves the
server side. Faults are scored against the peer; nothing from the peer escapes as a crash.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from node.network import reqresp
from node.network.config import Limits
from node.network.errors import (
    FrameTooLargeError,
    HashMismatchError,
    InvalidRequestError,
    PeerBannedError,
    PeerBlockedError,
    PeerFaultError,
    PeerUnavailableError,
    StreamTimeoutError,
)
from node.network.framing import ByteStream
from node.network.guard import PeerGuard
from node.network.scoring import Offence
from node.network.values import BLOB_HASH_SIZE, PeerId, ProtocolKind, Providers, Status
from node.network.watched_stream import WatchedStream

logger = logging.getLogger(__name__)
T = TypeVar("T")
StreamOpener = Callable[[PeerId, ProtocolKind], Awaitable[ByteStream]]
_RESET_GRACE_S = 1.0


def get_fault_offence(fault: PeerFaultError) -> Offence:
    """The scoring offence for a protocol fault."""
    if isinstance(fault, HashMismatchError):
        return Offence.HASH_MISMATCH
    if isinstance(fault, FrameTooLargeError):
        return Offence.OVERSIZED_FRAME
    return Offence.MALFORMED_FRAME


async def reset_quietly(stream: ByteStream) -> None:
    """Reset a stream even while being cancelled, bounded in time."""
    with trio.CancelScope(shield=True), trio.move_on_after(_RESET_GRACE_S):
        await stream.reset()


class Exchanges:
    """Client and server side of the blob, blocks and status protocols for one node."""

    def __init__(
        self, open_stream: StreamOpener, guard: PeerGuard, providers: Providers, limits: Limits
    ) -> None:
        self._open_stream = open_stream
        self._guard = guard
        self._providers = providers
        self._limits = limits
        self._inbound: dict[PeerId, int] = {}

    async def fetch_blob(self, peer: PeerId, blob_hash: bytes, max_size: int) -> bytes:
        if len(blob_hash) != BLOB_HASH_SIZE or not 0 <= max_size <= self._limits.max_blob_bytes:
            limit = self._limits.max_blob_bytes
            raise InvalidRequestError(f"blob hash must be 32 bytes, max_size in 0..{limit}")
        return await self._run(
            peer,
            ProtocolKind.BLOB,
            lambda s: reqresp.request_blob(s, blob_hash, max_size, self._limits),
        )

    async def fetch_blocks(self, peer: PeerId, start: int, end: int) -> list[bytes]:
        if start < 0 or end < start:
            raise InvalidRequestError(f"invalid block range {start}..{end}")
        return await self._run(
            peer, ProtocolKind.BLOCKS, lambda s: reqresp.request_blocks(s, start, end, self._limits)
        )

    async def fetch_status(self, peer: PeerId) -> Status:
        return await self._run(
            peer, ProtocolKind.STATUS, lambda s: reqresp.request_status(s, self._limits)
        )

    async def _run(
        self, peer: PeerId, kind: ProtocolKind, exchange: Callable[[ByteStream], Awaitable[T]]
    ) -> T:
        if self._guard.is_banned(peer):
            raise PeerBannedError(f"peer {peer} is banned")
        if self._guard.is_blocked(peer):
            raise PeerBlockedError(f"peer {peer} is blocked")
        try:
            with trio.fail_after(self._limits.fetch_timeout_s):
                return await self._run_once(peer, kind, exchange)
        except trio.TooSlowError as exc:
            limit_s = self._limits.fetch_timeout_s
            msg = f"{kind.value} exchange with {peer} exceeded {limit_s}s"
            raise StreamTimeoutError(msg) from exc

    async def _run_once(
        self, peer: PeerId, kind: ProtocolKind, exchange: Callable[[ByteStream], Awaitable[T]]
    ) -> T:
        stream = await self._open_stream(peer, kind)
        watched = WatchedStream(stream)
        try:
            result = await exchange(watched)
        except PeerFaultError as fault:
            logger.warning("peer fault peer=%s protocol=%s fault=%s", peer, kind.value, fault)
            self._guard.penalize(peer, get_fault_offence(fault))
            await reset_quietly(stream)
            raise
        except StreamTimeoutError:
            if watched.is_mute():  # took the request, never answered: not merely slow
                self._guard.penalize(peer, Offence.UNRESPONSIVE)
            await reset_quietly(stream)
            raise
        except BaseException:
            await reset_quietly(stream)
            raise
        await stream.finish()
        return result

    async def on_inbound(self, stream: ByteStream, peer: PeerId, kind: ProtocolKind) -> None:
        """Serve one inbound stream; never raises (except Cancelled).

        A peer gets at most ``limits.max_inbound_per_peer`` exchanges at a time; streams over
        that are reset at once, so one peer cannot tie up the node's tasks.
        """
        busy = self._inbound.get(peer, 0)
        if self._guard.is_refused(peer) or busy >= self._limits.max_inbound_per_peer:
            logger.debug("inbound stream refused peer=%s busy=%d", peer, busy)
            await reset_quietly(stream)
            return
        self._inbound[peer] = busy + 1
        try:
            await self._serve(stream, peer, kind)
        finally:
            self._inbound[peer] -= 1
            if not self._inbound[peer]:
                del self._inbound[peer]

    async def _serve(self, stream: ByteStream, peer: PeerId, kind: ProtocolKind) -> None:
        try:
            with trio.fail_after(self._limits.fetch_timeout_s):
                await reqresp.serve_request(stream, kind, self._providers, self._limits)
        except PeerFaultError as fault:
            logger.warning("peer fault peer=%s protocol=%s fault=%s", peer, kind.value, fault)
            self._guard.penalize(peer, get_fault_offence(fault))
            await reset_quietly(stream)
        except (PeerUnavailableError, trio.TooSlowError) as exc:
            logger.debug("inbound stream dropped peer=%s protocol=%s: %s", peer, kind.value, exc)
            await reset_quietly(stream)
        except Exception:
            logger.exception("inbound handler failed peer=%s protocol=%s", peer, kind.value)
            await reset_quietly(stream)
        else:
            await stream.finish()
