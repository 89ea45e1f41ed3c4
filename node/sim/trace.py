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

    __slots__ = ("_digest", "events")

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.events = 0

    def record(self, time_ms: int, node: int, kind: str, key: str) -> None:
        self._digest.update(f"{time_ms}|{node}|{kind}|{key}\n".encode())
        self.events += 1

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def describe(message: TraceMessage) -> str:
    """The key fields of a message, as a short deterministic string."""
    if isinstance(message, SignedVote):
        v = message.vote
        block = v.block_hash.hex()[:16] if v.block_hash is not None else "nil"
        return f"vote:{int(v.vote_type)}:{v.height}:{v.round}:{block}:{v.validator.hex()[:8]}"
    if isinstance(message, ProposalMessage):
        p = message.signed.proposal
        return f"proposal:{p.height}:{p.round}:{p.pol_round}:{p.block_hash.hex()[:16]}"
    if isinstance(message, FinalizedBlock):
        return f"block:{message.block.height}:{message.block.hash.hex()[:16]}"
    if isinstance(message, ProposalTxs):
        return f"txs:{message.height}:{message.round}:{len(message.txs)}"
    return f"sync:{message.height}"
