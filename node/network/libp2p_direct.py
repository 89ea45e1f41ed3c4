"""Direct delivery: gossip without the copies every peer already has (patch 14).

Gossipsub forwards each message it accepts to its whole mesh. When the peers are all
connected to one another, as a testnet's validators are, each node gets every message once
from its origin and then once more from every other mesh peer: two copies in three are read,
decrypted, parsed and thrown away. With 4 validators on 2 cores that was a third of a node's
CPU time.

Here the origin sends its own message to every connected peer that subscribes to the topic
(gossipsub v1.1's flood publishing), and a node that forwards a message sends it at once only
to the mesh peers that did not announce the origin as a neighbour (:mod:`node.network.
neighbours`). The others get the message's id in an IHAVE at the next heartbeat and ask for it
with IWANT should the origin's copy not have come, so a dropped copy costs up to a heartbeat
instead of being lost. A peer's list only changes what is sent to that peer. A node lists the
peers that subscribe to the neighbours topic: those run direct delivery, so they flood. Lists
travel one hop: nobody forwards them, and a node keeps only those of peers it is connected to.

The library keeps IHAVE ids as ``from + seqno`` but remembered seen messages by our content
id only, so every IHAVE drew an IWANT and a full copy. The patch also remembers each message
by ``from + seqno`` (``Pubsub._mark_msg_seen``), and IHAVE asks only for what is missing.
"""

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import trio
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub

from node.network.libp2p_speedups import get_published_message
from node.network.neighbours import (
    NeighbourBook,
    NeighbourList,
    NeighboursError,
    decode_neighbours,
    encode_neighbours,
)
from node.network.values import GossipMessage, PeerId, Verdict

logger = logging.getLogger(__name__)

ANNOUNCE_CHECK_S = 0.1
"""How often a node compares its neighbours with the list it last announced."""
REANNOUNCE_S = 10.0
"""A node announces its list again after this long, for peers that joined since."""
MAX_PENDING_IDS = 4096
"""Ids held for one peer's next IHAVE; beyond this a message is sent to it at once."""

_deliveries: "weakref.WeakKeyDictionary[GossipSub, DirectDelivery]" = weakref.WeakKeyDictionary()


class DirectDelivery:
    """One node's direct delivery: the neighbour book and the ids owed to each peer."""

    def __init__(self, pubsub: Pubsub, topic: str) -> None:
        self.pubsub = pubsub
        self.topic = topic
        self.book = NeighbourBook()
        self.my_id = pubsub.my_id
        self._pending: dict[ID, dict[str, list[bytes]]] = {}
        self._pending_count: dict[ID, int] = {}
        self.copies_spared = 0
        """Messages announced by id instead of sent to a peer that has them from the origin."""
        self.copies_forwarded = 0
        """Messages forwarded at once to a peer (no list names their origin, or ids are full)."""
        self.lists_ignored = 0
        """Lists that came from a peer this node is not connected to (relayed)."""

    def choose(
        self, router: GossipSub, topic_ids: list[str], forwarder: ID, peers: Iterable[ID]
    ) -> set[ID]:
        """The peers to send the message being published to at once."""
        chosen = set(peers)
        message = get_published_message()
        if message is None:
            return chosen
        if forwarder == self.my_id:
            return chosen | self._flood_peers(router, topic_ids, message)
        if self.topic in topic_ids:  # a list is for the announcer's neighbours only
            return set()
        eager = {peer for peer in chosen if not self._owe_id(peer, message)}
        self.copies_forwarded += len(eager)
        return eager

    def _flood_peers(
        self, router: GossipSub, topic_ids: list[str], message: rpc_pb2.Message
    ) -> set[ID]:
        flood: set[ID] = set()
        for topic in topic_ids:
            for peer in self.pubsub.peer_topics.get(topic, ()):
                if peer in router.peer_protocol:
                    flood.add(peer)
        flood.discard(ID(message.from_id))
        return flood

    def _owe_id(self, peer: ID, message: rpc_pb2.Message) -> bool:
        """Hold the message's id for ``peer``'s next IHAVE if the origin reaches ``peer``."""
        if not self.book.reaches_directly(peer.to_bytes(), message.from_id):
            return False
        count = self._pending_count.get(peer, 0)
        if count >= MAX_PENDING_IDS:
            return False
        topics = self._pending.setdefault(peer, {})
        for topic in message.topicIDs:
            topics.setdefault(topic, []).append(message.from_id + message.seqno)
        self._pending_count[peer] = count + 1
        self.copies_spared += 1
        return True

    def take_pending(self) -> dict[ID, dict[str, list[bytes]]]:
        """The ids owed to each peer since the last heartbeat (and forget them)."""
        pending, self._pending, self._pending_count = self._pending, {}, {}
        return pending

    def current_neighbours(self) -> frozenset[bytes]:
        """The connected peers that run direct delivery (they subscribe to its topic)."""
        return frozenset(peer.to_bytes() for peer in self.pubsub.peer_topics.get(self.topic, ()))

    def get_metrics(self) -> dict[str, float]:
        return {
            "deltachain_gossip_copies_spared_total": self.copies_spared,
            "deltachain_gossip_copies_forwarded_total": self.copies_forwarded,
            "deltachain_gossip_neighbour_lists": len(self.book),
            "deltachain_gossip_neighbour_lists_ignored_total": self.lists_ignored,
        }

    def validate(self, _forwarder: PeerId, data: bytes) -> Verdict:
        try:
            decode_neighbours(data)
        except NeighboursError:
            return Verdict.REJECT
        return Verdict.ACCEPT

    def on_list(self, gossip: GossipMessage) -> None:
        """Keep the list of a peer this node is connected to; a list that came from further
        away (relayed by a node without direct delivery, or by a hostile one) is of no use
        here, and keeping those would let anyone fill the book."""
        try:
            listing = decode_neighbours(gossip.data)
            origin = ID.from_base58(gossip.origin)
        except (NeighboursError, ValueError):
            logger.info("neighbour list from %s does not decode", gossip.origin)
            return
        if origin not in self.pubsub.peers:
            self.lists_ignored += 1
            return
        self.book.update(origin.to_bytes(), listing)

    async def run(
        self,
        subscribe: Callable[..., Awaitable[trio.MemoryReceiveChannel[GossipMessage]]],
        publish: Callable[[str, bytes], Awaitable[None]],
    ) -> None:
        """Task: announce this node's list and keep the book of everyone else's."""
        lists = await subscribe(self.topic, self.validate)
        _deliveries[self.router] = self
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._announce, publish)
                async with lists:
                    async for gossip in lists:
                        self.on_list(gossip)
                nursery.cancel_scope.cancel()
        finally:
            _deliveries.pop(self.router, None)

    @property
    def router(self) -> GossipSub:
        router = self.pubsub.router
        if not isinstance(router, GossipSub):
            raise TypeError("direct delivery needs a gossipsub router")
        return router

    async def _announce(self, publish: Callable[[str, bytes], Awaitable[None]]) -> None:
        announced: frozenset[bytes] | None = None
        announced_at = 0.0
        while True:
            neighbours = self.current_neighbours()
            now = trio.current_time()
            if neighbours != announced or now - announced_at >= REANNOUNCE_S:
                listing = NeighbourList(time.time_ns(), neighbours)
                await publish(self.topic, encode_neighbours(listing))
                announced, announced_at = neighbours, now
            await trio.sleep(ANNOUNCE_CHECK_S)


def choose_direct_peers(original: Callable[..., Iterable[ID]]) -> Callable[..., Iterable[ID]]:
    """Patch 14, part 1: ``GossipSub._get_peers_to_send`` floods own messages and holds back
    forwarded ones from peers that have them from their origin."""

    def _get_peers_to_send(
        self: GossipSub,
        topic_ids: Iterable[str],
        msg_forwarder: ID,
        origin: ID,
        msg_id: bytes | None = None,
    ) -> Iterable[ID]:
        topics = list(topic_ids)
        peers = original(self, topics, msg_forwarder, origin, msg_id)
        delivery = _deliveries.get(self)
        if delivery is None:
            return peers
        return delivery.choose(self, topics, msg_forwarder, peers)

    return _get_peers_to_send


def announce_owed_ids(
    original: Callable[[GossipSub], Any],
) -> Callable[[GossipSub], Any]:
    """Patch 14, part 2: the heartbeat's IHAVE carries the ids held back since the last one."""

    def gossip_heartbeat(self: GossipSub) -> Any:
        peers_to_gossip = original(self)
        delivery = _deliveries.get(self)
        if delivery is None or self.pubsub is None:
            return peers_to_gossip
        for peer, topics in delivery.take_pending().items():
            if peer not in self.pubsub.peers:
                continue
            for topic, ids in topics.items():
                announced = peers_to_gossip[peer].setdefault(topic, [])
                known = set(announced)
                announced.extend(mid for mid in dict.fromkeys(ids) if mid not in known)
        return peers_to_gossip

    return gossip_heartbeat


def remember_seqno_ids(original: Callable[[Pubsub, rpc_pb2.Message], None]) -> Callable[..., None]:
    """Patch 14, part 3: a seen message is also remembered by the id IHAVE names it by."""

    def _mark_msg_seen(self: Pubsub, msg: rpc_pb2.Message) -> None:
        original(self, msg)
        self.seen_messages.add(msg.from_id + msg.seqno)

    return _mark_msg_seen
