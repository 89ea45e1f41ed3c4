"""What travels through the simulated network and what the event queue holds."""

from __future__ import annotations

from dataclasses import dataclass

from consensus.bft.events import ProposalMessage, ProposalTxs, Timeout
from consensus.block import FinalizedBlock
from consensus.messages import SignedVote
from consensus.primitives import Height


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """Gossiped by a stalled node: "I have finalized up to ``height``; send me what follows"."""

    height: Height


WireMessage = ProposalMessage | SignedVote | FinalizedBlock | SyncRequest
"""Everything one simulated node sends another."""


@dataclass(frozen=True, slots=True)
class Deliver:
    """``message`` from node ``src`` arrives."""

    src: int
    message: WireMessage


@dataclass(frozen=True, slots=True)
class FireTimeout:
    """A timeout the engine scheduled is due."""

    timeout: Timeout


@dataclass(frozen=True, slots=True)
class LocalInput:
    """An input a node gives itself: its own signed vote or proposal, or its proposal's txs."""

    message: ProposalMessage | SignedVote | ProposalTxs


@dataclass(frozen=True, slots=True)
class GossipTick:
    """The periodic re-broadcast timer of one node (Tendermint-style gossip re-sending)."""


@dataclass(frozen=True, slots=True)
class Start:
    """The node starts consensus (round 0 of the first height)."""


@dataclass(frozen=True, slots=True)
class External:
    """An event the core loop does not interpret: it is handed to ``Simulation.on_external``.

    Extensions of the simulator (the scenario mode's training jobs, transaction gossip and
    perturbations) schedule their own events through the one queue, so their order is part of
    the run's deterministic order.
    """

    payload: object


SimEvent = Deliver | FireTimeout | LocalInput | GossipTick | Start | External
