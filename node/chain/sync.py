"""Block sync: a node that is behind fetches final blocks with their commits from peers.

Every block is checked before it reaches the driver: its commit must carry more than 2/3 of the
current validator set's power. A block whose commit verifies but whose ``app_hash`` differs from
ours means this node's state diverged from the network's: the node halts with a clear error
rather than sign anything on top of a wrong state.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable

import trio

from consensus.bft.state import ConsensusState
from consensus.block import FinalizedBlock
from consensus.encoding import decode
from consensus.errors import ConsensusError, DecodeError
from consensus.ledger import get_ready_tasks, verify_commit
from node.errors import NodeError
from node.network.errors import NetworkError
from node.network.port import NetworkPort
from node.network.values import PeerId

logger = logging.getLogger(__name__)

MAX_FINALIZED_BLOCK_BYTES = 1 << 20


class Readiness(enum.Enum):
    """Whether the driver can take the next synced block now."""

    READY = "ready"
    HAVE_IT = "have it"
    TIMED_OUT = "timed out"


class StateDivergedError(NodeError):
    """A block finalized by the network does not match this node's state: the node halts."""


class BlockSync:
    """Polls peers' heights and feeds missing final blocks to the driver, in order."""

    def __init__(
        self,
        network: NetworkPort,
        view: Callable[[], ConsensusState],
        inbox: trio.MemorySendChannel[FinalizedBlock],
        genesis_hash: bytes,
        *,
        batch: int = 64,
        chain_changed: Callable[[], trio.Event] | None = None,
        apply_wait_s: float = 10.0,
    ) -> None:
        self._network = network
        self._view = view
        self._inbox = inbox
        self._chain_changed = chain_changed
        self._apply_wait_s = apply_wait_s
        self._genesis_hash = genesis_hash
        self._batch = batch
        self._requested_to = 0
        self._height_at_last_sync = -1
        self._cursor = 0
        self._peer_ahead = False
        self.synced_blocks = 0

    @property
    def is_catching_up(self) -> bool:
        """Whether the last peer we asked was ahead of us (we are still fetching blocks)."""
        return self._peer_ahead

    async def run(self, interval_s: float) -> None:
        while True:
            await self.sync_once()
            await trio.sleep(interval_s)

    async def sync_once(self) -> None:
        """Unless we are following the chain, ask one peer (in turn) for its status and fetch
        what we lack from it. Polling every peer every time costs a stream per peer per
        second on every node: at 21 validators that alone saturated two cores."""
        height = self._view().chain.height
        progressing = height > self._height_at_last_sync
        if not progressing:
            self._requested_to = height  # what we fed did not apply: ask again
        self._height_at_last_sync = height
        peers = sorted(self._network.connected_peers())
        if not peers or (progressing and not self._peer_ahead):
            return
        peer = peers[self._cursor % len(peers)]
        self._cursor += 1
        try:
            self._peer_ahead = await self._sync_from(peer)
        except NetworkError as exc:
            logger.debug("sync from peer=%s failed: %s", peer[:12], exc)

    async def _sync_from(self, peer: PeerId) -> bool:
        """Fetch the next batch of blocks from ``peer``; whether it was ahead of us."""
        status = await self._network.fetch_status(peer)
        state = self._view()
        if status.chain_id != state.chain.chain_id or status.genesis_hash != self._genesis_hash:
            logger.warning("peer=%s is on another chain; disconnecting", peer[:12])
            await self._network.disconnect(peer)
            return False
        ours = state.chain.height
        start = max(ours, self._requested_to) + 1
        if status.height < start:
            return status.height > ours
        end = min(status.height, start + self._batch - 1)
        encoded = await self._network.fetch_blocks(peer, start, end)
        for expected, item in enumerate(encoded, start):
            readiness = await self._wait_until_next(expected)
            if readiness is Readiness.TIMED_OUT:
                return True  # the driver is busy (or stuck): the next round asks again
            if readiness is Readiness.HAVE_IT:
                continue
            block = self._decode(item, expected, peer)
            if block is None:
                return False
            await self._inbox.send(block)
            self._requested_to = expected
            self.synced_blocks += 1
        return True

    async def _wait_until_next(self, height: int) -> Readiness:
        """Wait until block ``height`` is the one the driver can apply next: the block before
        it applied and that block's aggregations done. Feeding blocks faster only gets them
        dropped (a block on top of a pending aggregation is not applicable yet)."""
        if self._chain_changed is None:
            return Readiness.READY
        with trio.move_on_after(self._apply_wait_s) as scope:
            readiness = await self._wait_for_chain(height, self._chain_changed)
        return Readiness.TIMED_OUT if scope.cancelled_caught else readiness

    async def _wait_for_chain(self, height: int, changed: Callable[[], trio.Event]) -> Readiness:
        while True:
            event = changed()
            chain = self._view().chain
            if chain.height >= height:
                return Readiness.HAVE_IT
            if chain.height == height - 1 and not get_ready_tasks(chain):
                return Readiness.READY
            await event.wait()

    def _decode(self, item: bytes, expected: int, peer: PeerId) -> FinalizedBlock | None:
        try:
            finalized = decode(FinalizedBlock, item, MAX_FINALIZED_BLOCK_BYTES)
        except DecodeError as exc:
            logger.warning("peer=%s sent a malformed block: %s", peer[:12], exc)
            return None
        if finalized.block.height != expected or finalized.commit.height != expected:
            logger.warning(
                "peer=%s sent height %d, wanted %d", peer[:12], finalized.block.height, expected
            )
            return None
        check_divergence(self._view(), finalized)
        return finalized


def check_divergence(state: ConsensusState, finalized: FinalizedBlock) -> None:
    """Raise StateDivergedError if a properly committed next block disagrees with our state."""
    if finalized.block.height != state.chain.height + 1 or get_ready_tasks(state.chain):
        return  # not the next block, or our aggregations for the last one are still running
    try:
        verify_commit(state.chain.validators, state.chain.chain_id, finalized.commit)
    except ConsensusError:
        return  # an invalid commit proves nothing; the driver rejects the block
    if finalized.commit.block_hash != finalized.block.hash:
        return
    if finalized.block.header.app_hash != state.chain.app_hash:
        raise StateDivergedError(
            f"block {finalized.block.height} was finalized by the network with app hash "
            f"{finalized.block.header.app_hash.hex()[:16]} but this node computed "
            f"{state.chain.app_hash.hex()[:16]}: local state diverged, halting"
        )
