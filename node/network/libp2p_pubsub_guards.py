"""Patches to py-libp2p 0.8.1's pubsub that keep one peer's faults inside that peer.

They are registered with the other patches in :mod:`node.network.libp2p_patches` (same pin,
same apply and revert); ``tests/node/network/test_libp2p_patches.py`` shows each bug without
its patch. Pubsub runs each inbound message, each blacklisting and each replay as a task of its
service: an exception in any of them ends the service and, through the swarm, the node.

9. ``safe_blacklist_teardown`` - **every ban killed the banning node**: ``add_to_blacklist``
   starts ``_teardown_if_connected``, which awaits ``stream.reset()`` and then runs
   ``del self.peers[peer_id]``. While it waits, the peer's sending task (its write fails on the
   reset stream) or the dead-peer queue (a ban also disconnects) runs ``_handle_dead_peer``,
   which deletes the entry first: ``KeyError``. The library version also left the peer's
   outbound queue, its sending task and the router's state behind. The patch resets the stream
   quietly, then drops the peer through ``_handle_dead_peer`` only if it is still registered.
10. ``guard_push_msg`` - **remote crash**: a published message whose ``from`` is no identity
    peer id and whose ``key`` does not parse makes ``signature_validator`` raise
    ``DecodeError`` inside ``push_msg``: one message ended the node. Now any exception while
    handling one inbound message drops it; a decoding error scores its forwarder as a
    malformed frame, anything else is logged with its traceback (our own publishes still
    raise to the caller).
11. ``fresh_replay_only`` - **stale replay**: a peer that connects or subscribes is sent the
    message cache's window for the topic (py-libp2p's own addition; go-libp2p replays nothing
    and leaves recovery to IHAVE): for votes, every height of the last 3 heartbeats, which the
    new peer can only ignore. With a replay filter installed (:func:`set_replay_filter`; the
    network installs its topic validators) only messages the filter keeps are replayed;
    without one the library's replay runs.
12. ``fresh_pending_flush`` - the same for the identify-pending queue: messages published
    while a connected peer had not yet subscribed (up to 100 of the last 30 s) are flushed to
    it when it subscribes; now only those the filter keeps.
"""

import functools
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from google.protobuf.message import DecodeError
from libp2p.exceptions import ParseError
from libp2p.peer.id import ID
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub

logger = logging.getLogger(__name__)
_RESET_GRACE_S = 1.0
MALFORMED_ERRORS = (DecodeError, ParseError, UnicodeDecodeError, ValueError)
"""What bytes a peer got wrong raise; these are scored, anything else is only logged."""

AsyncMethod = Callable[..., Awaitable[Any]]
ViolationListener = Callable[[str], None]
ReplayFilter = Callable[[str, bytes], bool]
"""``keep(topic, data)``: whether a cached message is still worth sending to a new peer."""

_violation_listeners: "weakref.WeakKeyDictionary[Pubsub, ViolationListener]" = (
    weakref.WeakKeyDictionary()
)
_replay_filters: "weakref.WeakKeyDictionary[Pubsub, ReplayFilter]" = weakref.WeakKeyDictionary()


def set_violation_listener(pubsub: Pubsub, listener: ViolationListener) -> None:
    """Call ``listener(peer_id_base58)`` when a peer sends a malformed pubsub frame."""
    _violation_listeners[pubsub] = listener


def report_violation(pubsub: Pubsub, peer_id: ID) -> None:
    """Tell the network's scorer about a malformed frame; never raises."""
    listener = _violation_listeners.get(pubsub)
    if listener is None:
        return
    try:
        listener(peer_id.to_base58())
    except Exception:
        logger.exception("pubsub violation listener failed peer=%s", peer_id)


def is_running(pubsub: Pubsub) -> bool:
    """Whether pubsub's service runs (it can start no task before it starts or once it stops)."""
    try:
        return bool(pubsub.manager.is_running)
    except Exception:  # no manager before the service starts
        return False


def on_peer_fault(pubsub: Pubsub, peer_id: ID, exc: Exception, what: str) -> None:
    """Log a failure handling ``peer_id``'s input; score it if the input was malformed."""
    if isinstance(exc, MALFORMED_ERRORS):
        logger.warning("malformed %s peer=%s error=%r", what, peer_id, exc)
        report_violation(pubsub, peer_id)
    else:
        logger.error("handling %s failed peer=%s", what, peer_id, exc_info=exc)


def set_replay_filter(pubsub: Pubsub, keep: ReplayFilter) -> None:
    """Replay to a new peer only the cached messages ``keep(topic, data)`` accepts."""
    _replay_filters[pubsub] = keep


async def reset_quietly(stream: Any) -> None:
    """Reset a libp2p stream even while being cancelled, bounded in time; never raises."""
    with trio.CancelScope(shield=True), trio.move_on_after(_RESET_GRACE_S):
        try:
            await stream.reset()
        except Exception:
            logger.debug("stream reset failed", exc_info=True)


def safe_blacklist_teardown(_original: AsyncMethod) -> AsyncMethod:
    """Patch 9: drop a blacklisted peer once, whoever else is dropping it meanwhile."""

    async def _teardown_if_connected(self: Pubsub, peer_id: ID) -> None:
        try:
            stream = self.peers.get(peer_id)
            if stream is not None:
                await reset_quietly(stream)
                if self.peers.get(peer_id) is stream:
                    self._handle_dead_peer(peer_id)
            self._forget_all_subscriptions(peer_id)
        except Exception:
            logger.exception("pubsub teardown of a blacklisted peer failed peer=%s", peer_id)

    return _teardown_if_connected


def guard_push_msg(original: AsyncMethod) -> AsyncMethod:
    """Patch 10: an inbound message that makes pubsub raise is dropped and scored."""

    @functools.wraps(original)
    async def push_msg(self: Pubsub, msg_forwarder: ID, msg: Any) -> None:
        if msg_forwarder == self.my_id:
            await original(self, msg_forwarder, msg)
            return
        try:
            await original(self, msg_forwarder, msg)
        except Exception as exc:
            on_peer_fault(self, msg_forwarder, exc, "pubsub message")

    return push_msg


def is_worth_replaying(pubsub: Pubsub, msg: rpc_pb2.Message) -> bool:
    """Whether the replay filter keeps ``msg`` on every topic it carries (a filter that
    raises drops the message)."""
    keep = _replay_filters.get(pubsub)
    if keep is None:
        return True
    try:
        return all(keep(topic, msg.data) for topic in msg.topicIDs)
    except Exception:
        logger.exception("replay filter failed topics=%s", list(msg.topicIDs))
        return False


def fresh_recent_messages(original: AsyncMethod) -> AsyncMethod:
    """Patch 11: the message-cache replay sends only what the filter keeps."""

    @functools.wraps(original)
    async def send_recent_messages(self: GossipSub, peer_id: ID, topic: str) -> None:
        pubsub = self.pubsub
        if pubsub is None or pubsub not in _replay_filters:
            await original(self, peer_id, topic)
            return
        stream = pubsub.peers.get(peer_id)
        if stream is None:
            return
        for mid in self.mcache.window(topic):
            msg = self.mcache.get(mid)
            if msg is None or not is_worth_replaying(pubsub, msg):
                continue
            if self.scorer is not None and not self.scorer.allow_publish(
                peer_id, list(msg.topicIDs)
            ):
                continue
            rpc = rpc_pb2.RPC(publish=[msg], senderRecord=env_to_send_in_RPC(pubsub.host)[0])
            if not await pubsub.write_msg(stream, rpc):
                return

    return send_recent_messages


def fresh_pending_messages(original: AsyncMethod) -> AsyncMethod:
    """Patch 12: the identify-pending queue drops what the filter does not keep."""

    @functools.wraps(original)
    async def flush_pending_messages(self: GossipSub, peer_id: ID) -> None:
        queue = self._pending_messages.get(peer_id)
        pubsub = self.pubsub
        if queue and pubsub is not None:
            queue[:] = [
                (at, rpc)
                for at, rpc in queue
                if all(is_worth_replaying(pubsub, msg) for msg in rpc.publish)
            ]
        await original(self, peer_id)

    return flush_pending_messages
