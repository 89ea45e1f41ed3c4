"""The hooks a Byzantine role plugs into a chain node, as protocols the chain owns.

The driver and the chain node call these hooks; ``node.byzantine`` implements them. Keeping the
protocols here keeps the arrow one-way: the chain never imports the roles that misuse it.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from consensus.bft.events import ProposalMessage
from consensus.bft.state import ConsensusState
from consensus.messages import SignedVote
from consensus.transactions import SignedTransaction


class Publisher(Protocol):
    """Where a role sends the extra messages it signs (the chain node's gossip port)."""

    async def publish_vote(self, vote: SignedVote) -> None: ...

    async def publish_proposal(self, message: ProposalMessage) -> None: ...


class MisbehaviourHooks(Protocol):
    """What the driver and the chain node ask of a Byzantine role (None on an honest node)."""

    @property
    def counts(self) -> Counter[str]:
        """How often the role deviated, by kind (reported in ``/metrics``)."""
        ...

    async def after_vote(self, signed: SignedVote, publisher: Publisher) -> None:
        """The driver signed and published ``signed``."""

    async def after_proposal(
        self, message: ProposalMessage, state: ConsensusState, publisher: Publisher
    ) -> None:
        """The driver signed and published ``message``, built on ``state``."""

    def on_submitted(self, stx: SignedTransaction) -> None:
        """The node admitted ``stx`` to its mempool and is about to gossip it."""

    def withholds_blob(self, blob_hash: bytes) -> bool:
        """Whether the node refuses to serve this blob to a peer."""
        ...
