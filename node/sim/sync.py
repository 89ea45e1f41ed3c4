"""Gossip re-sending and block sync: how a simulated network recovers from drops and partitions.

Like Tendermint's gossip routines, a node that has not moved (no new block, nothing signed)
since its previous gossip tick re-sends what it sent in its latest round, relays the proposal it
holds and asks its peers for blocks after its height (``SyncRequest``). A peer that has finalized
more answers with the next ``FinalizedBlock``; after applying it the node asks that peer again,
so a node that fell behind walks up to the others' height one block at a time.
"""

from __future__ import annotations

from consensus.block import FinalizedBlock
from node.sim.byzantine import Outgoing
from node.sim.events import Deliver, SyncRequest
from node.sim.node import SimNode
from node.sim.shell import SimShell


class SyncService:
    """The re-sending and block-sync part of the simulated shell."""

    __slots__ = ("_sim",)

    def __init__(self, sim: SimShell) -> None:
        self._sim = sim

    def on_tick(self, node: SimNode) -> None:
        """Periodic timer: re-send and ask for blocks if the node is stalled."""
        if not node.behaviour.is_sending() or not node.is_stalled():
            return
        for out in node.get_rebroadcast():
            self._sim.send(node.index, out)
        request = SyncRequest(len(node.blocks))
        self._sim.send(node.index, Outgoing(request, node.behaviour.peers))

    def on_deliver(self, node: SimNode, event: Deliver) -> None:
        """A message from a peer arrives at ``node``."""
        message, sim = event.message, self._sim
        from_honest = sim.nodes[event.src].honest
        if isinstance(message, SyncRequest):
            self._answer(node, event.src, message)
        elif isinstance(message, FinalizedBlock):
            before = len(node.blocks)
            sim.feed(node, message, from_honest)
            if len(node.blocks) > before and node.behaviour.is_sending():
                request = SyncRequest(len(node.blocks))
                sim.send(node.index, Outgoing(request, (event.src,)))
        else:
            sim.feed(node, message, from_honest)

    def _answer(self, node: SimNode, src: int, request: SyncRequest) -> None:
        if node.behaviour.is_sending() and request.height < len(node.blocks):
            self._sim.send(node.index, Outgoing(node.blocks[request.height], (src,)))
