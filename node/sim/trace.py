"""The trace hash: SHA-256 over the ordered (time, node, event kind, key fields) of a run.

Two runs with the same seed and settings process the same events in the same order, so they
give the same hash; any difference in timing, order or content changes it.
"""

from __future__ import annotations

import hashlib

from consensus.bft.events import ProposalMessage, ProposalTxs
from consensus.block import FinalizedBlock
from consensus.messages import SignedVote
from node.sim.events import SyncRequest

TraceMessage = ProposalMessage | SignedVote | FinalizedBlock | SyncRequest | ProposalTxs


class TraceRecorder:
    """Feeds every processed event into a running SHA-256."""

    __slots__ = ("_digest", "_update", "events")

    def __init__(self) -> None:
        self._update = (digest := hashlib.sha256()).update
        self._digest = digest
        self.events = 0

    def record(self, time_ms: int, node: int, kind: bytes, key: bytes) -> None:
        self._update(b"%d|%d|%s|%s\n" % (time_ms, node, kind, key))
        self.events += 1

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def describe(message: TraceMessage) -> bytes:
    """The key fields of a message, as short deterministic bytes."""
    if isinstance(message, SignedVote):
        v = message.vote
        block = v.block_hash[:8] if v.block_hash is not None else b"nil"
        return b"vote:%d:%d:%d:%s:%s" % (v.vote_type, v.height, v.round, block, v.validator[:4])
    if isinstance(message, ProposalMessage):
        p = message.signed.proposal
        return b"proposal:%d:%d:%d:%s" % (p.height, p.round, p.pol_round, p.block_hash[:8])
    if isinstance(message, FinalizedBlock):
        return b"block:%d:%s" % (message.block.height, message.block.hash[:8])
    if isinstance(message, ProposalTxs):
        return b"txs:%d:%d:%d" % (message.height, message.round, len(message.txs))
    return b"sync:%d" % message.height
