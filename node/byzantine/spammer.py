"""``spammer``: a task that publishes invalid transactions on the tx topic at a fixed rate.

The kinds take turns (``node.byzantine.spam``). Honest nodes reject them at the gossip
validator or the mempool, score the sender down and ban it; the chain goes on without it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio
from trio_typing import TaskStatus

from consensus.crypto import KeyPair
from node.byzantine.base import Misbehaviour
from node.byzantine.errors import ByzantineError
from node.byzantine.roles import MAX_SPAM_PER_S, Role
from node.byzantine.spam import SPAM_KINDS, make_spam
from node.network.errors import NetworkError
from node.network.values import TopicKind, get_topic_name

if TYPE_CHECKING:
    from node.chain.chain_node import ChainNode

logger = logging.getLogger(__name__)

MAX_LAG_S = 1.0
"""A spammer that falls further behind its schedule skips ahead rather than burst."""


class Spammer(Misbehaviour):
    """See the module docstring."""

    role = Role.SPAMMER

    def __init__(self, key: KeyPair, chain_id: str, rate_per_s: float) -> None:
        if not 0.0 < rate_per_s <= MAX_SPAM_PER_S:
            raise ByzantineError(f"spam rate must be in (0, {MAX_SPAM_PER_S}], got {rate_per_s}")
        super().__init__(key, chain_id)
        self.interval_s = 1.0 / rate_per_s
        self.sent = 0

    async def run(
        self, node: ChainNode, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        topic = get_topic_name(self.chain_id, TopicKind.TXS)
        task_status.started()
        logger.warning("byzantine spammer active interval_s=%.4f", self.interval_s)
        next_at = trio.current_time()
        while True:
            next_at = max(next_at + self.interval_s, trio.current_time() - MAX_LAG_S)
            await trio.sleep_until(next_at)
            await self.send_one(node, topic)

    async def send_one(self, node: ChainNode, topic: str) -> None:
        """Publish the next spam message (the kinds take turns)."""
        kind = SPAM_KINDS[self.sent % len(SPAM_KINDS)]
        nonce = node.get_chain_state().get_account(self.key.address).nonce
        data = make_spam(kind, self.sent, self.key, self.chain_id, nonce)
        self.sent += 1
        try:
            await node.network.publish(topic, data)
        except NetworkError as exc:
            logger.debug("spam publish failed kind=%s: %s", kind.value, exc)
            return
        self.record(kind.value)
