"""Gossip on py-libp2p: validators that score, pumps to trio channels, paced publishing."""

import logging
from collections.abc import Callable

import trio
from libp2p.abc import ISubscriptionAPI
from libp2p.peer.id import ID
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.rpc_queue import OutBoundQueueSize

from node.network.config import NetworkConfig
from node.network.errors import NotRunningError, UnknownTopicError
from node.network.guard import PeerGuard
from node.network.libp2p_pubsub_guards import set_replay_filter
from node.network.peer_id import peer_id_from_bytes
from node.network.peer_metrics import IgnoreReason
from node.network.validation import judge_gossip
from node.network.values import GossipMessage, PeerId, Validator, Verdict, compute_message_id

logger = logging.getLogger(__name__)
_QUEUE_HIGH_WATER = OutBoundQueueSize * 3 // 4
_PACE_POLL_S = 0.002


class GossipRouter:
    """Subscriptions, validation and publishing on one pubsub instance."""

    def __init__(self, pubsub: Pubsub, guard: PeerGuard, config: NetworkConfig) -> None:
        self._pubsub = pubsub
        self._guard = guard
        self._config = config
        self._nursery: trio.Nursery | None = None
        self._validators: dict[str, Validator] = {}

    def start(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        set_replay_filter(self._pubsub, self.is_worth_replaying)

    def is_worth_replaying(self, topic: str, data: bytes) -> bool:
        """Whether a cached message still helps a peer that just joined: our own validator
        accepts it now (a vote of an old height, a transaction already in a block do not)."""
        validator = self._validators.get(topic)
        if validator is None:
            return True
        return validator(self._pubsub.my_id.to_base58(), data) is Verdict.ACCEPT

    def topic_peers(self, topic: str) -> frozenset[PeerId]:
        """Peers a publish on ``topic`` goes to: the mesh if subscribed, else subscribers."""
        mesh = getattr(self._pubsub.router, "mesh", {})
        peers = mesh.get(topic) if topic in self._pubsub.topic_ids else None
        if peers is None:
            peers = self._pubsub.peer_topics.get(topic, set())
        return frozenset(pid.to_base58() for pid in peers)

    async def subscribe(
        self, topic: str, validator: Validator
    ) -> trio.MemoryReceiveChannel[GossipMessage]:
        if self._nursery is None:
            raise NotRunningError("subscribe needs a running network (enter it first)")
        if topic in self._pubsub.topic_ids:
            raise UnknownTopicError(f"already subscribed to {topic}")
        subscription = await self._pubsub.subscribe(topic)
        self._validators[topic] = validator
        self._pubsub.set_topic_validator(
            topic, self._make_validator(topic, validator), is_async_validator=False
        )
        send, receive = trio.open_memory_channel[GossipMessage](self._config.gossip.inbox_size)
        self._nursery.start_soon(self._pump, topic, subscription, send)
        return receive

    def _make_validator(
        self, topic: str, validator: Validator
    ) -> Callable[[ID, rpc_pb2.Message], bool]:
        my_id = self._pubsub.my_id
        limit = self._config.limits.max_gossip_bytes

        def validate(forwarder: ID, msg: rpc_pb2.Message) -> bool:
            """Pubsub's validator; never raises (pubsub runs it in a service task)."""
            if forwarder == my_id:
                return True
            try:
                verdict = judge_gossip(
                    self._guard,
                    forwarder=forwarder.to_base58(),
                    topic=topic,
                    data=msg.data,
                    validator=validator,
                    max_bytes=limit,
                )
            except Exception:
                logger.exception("gossip judgement failed topic=%s peer=%s", topic, forwarder)
                self._guard.note_ignored(IgnoreReason.VALIDATOR_ERROR)
                return False
            return verdict is Verdict.ACCEPT

        return validate

    async def _pump(
        self,
        topic: str,
        subscription: ISubscriptionAPI,
        send: trio.MemorySendChannel[GossipMessage],
    ) -> None:
        my_id = self._pubsub.my_id.to_bytes()
        async with send:
            while True:
                msg = await subscription.get()
                if msg.from_id == my_id:
                    continue
                origin = peer_id_from_bytes(msg.from_id)
                gossip = GossipMessage(topic, msg.data, origin, compute_message_id(msg.data))
                try:
                    await send.send(gossip)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    logger.info("gossip subscriber closed its channel topic=%s", topic)
                    return

    async def publish(self, topic: str, data: bytes) -> None:
        """Wait (bounded) for room in full outbound queues, then publish."""
        with trio.move_on_after(self._config.gossip.publish_wait_s):
            while any(len(q) >= _QUEUE_HIGH_WATER for q in self._pubsub.peer_queues.values()):
                await trio.sleep(_PACE_POLL_S)
        await self._pubsub.publish(topic, data)
