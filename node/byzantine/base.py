"""The hooks a Byzantine role plugs into a node; the base class keeps every one honest.

The driver calls :meth:`Misbehaviour.after_vote` and :meth:`Misbehaviour.after_proposal` once it
has signed (through the persistent signer) and published its own message; the chain node asks
:meth:`Misbehaviour.withholds_blob` before it serves a blob and reports every transaction it
submits to :meth:`Misbehaviour.on_submitted`; the daemon starts :meth:`Misbehaviour.run` next to
the node. A role overrides only the hooks it needs. A node without a role holds ``None``
instead of an instance, so none of these calls happen on an honest node.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import ClassVar

import trio
from trio_typing import TaskStatus

from consensus.bft.events import ProposalMessage
from consensus.bft.state import ConsensusState
from consensus.crypto import KeyPair
from consensus.messages import SignedVote
from consensus.transactions import SignedTransaction
from node.byzantine.roles import Role
from node.chain.chain_node import ChainNode
from node.chain.hooks import Publisher

logger = logging.getLogger(__name__)


class Misbehaviour:
    """A Byzantine role: signs with the raw ``key``, bypassing the persistent signer's guard."""

    role: ClassVar[Role] = Role.HONEST

    def __init__(self, key: KeyPair, chain_id: str) -> None:
        self.key = key
        self.chain_id = chain_id
        self._counts: Counter[str] = Counter()

    @property
    def counts(self) -> Counter[str]:
        """How often the role deviated, by kind (for tests, logs and metrics)."""
        return self._counts

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
        return False

    async def run(
        self, node: ChainNode, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """A task of the role's own, run next to ``node`` (none by default)."""
        task_status.started()

    def record(self, kind: str) -> None:
        """Count one deviation of ``kind``."""
        self.counts[kind] += 1
        logger.debug(
            "byzantine role=%s deviation=%s count=%d", self.role.value, kind, self.counts[kind]
        )
