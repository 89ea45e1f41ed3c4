"""Patches to py-libp2p 0.8.1, in one place. Apply with :func:`apply_patches` (idempotent).

Each patch names the bug it fixes; ``tests/node/network/test_libp2p_patches.py`` shows each bug
with the patch reverted and its absence with the patch applied. The patches touch library
internals, so :func:`apply_patches` refuses any other py-libp2p version.

1. ``guard_pubsub_read_loop`` - **remote crash**: one malformed ``/meshsub`` frame raises
   ``google.protobuf.message.DecodeError`` out of ``Pubsub.continuously_read_stream``; it
   propagates through the swarm and ends ``trio.run``. The patch resets the stream, drops the
   peer from pubsub and reports the fault to the network's scorer. Any other exception while
   reading or handling that peer's RPCs (e.g. in a control message handler) ends the stream
   the same way, logged with its traceback but not scored (it may be the library's bug).
2. ``guard_stream_handlers`` - **remote crash**: an exception from any protocol handler
   (ours or the library's) escapes ``BasicHost._swarm_stream_handler`` and ends the node the
   same way. The patch logs it and resets the stream.
3. ``serialize_pubsub_writes`` - **rejoin corruption**: ``send_recent_messages`` and
   ``flush_pending_messages`` call ``Pubsub.write_msg`` while the per-peer sending task also
   writes; yamux locks per 64 KiB frame, not per message, so RPCs over 64 KiB interleave and
   the receiver reads garbage. The patch holds a per-stream lock for a whole RPC.
4. ``release_inbound_handlers`` - **task leak**: after upgrading an inbound TCP connection,
   ``Swarm._do_handle_inbound_connection`` waits for the whole swarm to finish, so every
   inbound connection leaves a task (and a slot of the inbound-connection limiter) behind
   after it closes; churn eventually exhausts the limiter. The patch ends the handler when
   that connection's muxer closes.

Patches 5 to 8, 13 and 15 to 17 are speed-ups, not bug fixes;
:mod:`node.network.libp2p_speedups` explains them. Patches 9 to 12 keep pubsub's per-peer
service tasks from ending the node (a ban, a bad message) and stop stale replays;
:mod:`node.network.libp2p_pubsub_guards` explains them. Patch 14, direct delivery, spares the
copies of a message that peers already have from its origin; :mod:`node.network.libp2p_direct`
explains it. ``published_message`` only records the message ``GossipSub.publish`` is handling,
for patches 5 and 14.
"""

import contextvars
import functools
import importlib.metadata
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import trio
from libp2p.host.basic_host import BasicHost
from libp2p.io.trio import TrioTCPStream
from libp2p.network.swarm import Swarm
from libp2p.pubsub import gossipsub as gossipsub_module
from libp2p.pubsub import pubsub as pubsub_module
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.stream_muxer.yamux import yamux as yamux_module
from libp2p.tools.anyio_service.trio_manager import TrioManager
from libp2p.tools.anyio_service.trio_tasks import FunctionTask

from node.network import libp2p_direct as direct
from node.network import libp2p_pubsub_guards as guards
from node.network import libp2p_speedups as speedups
from node.network.errors import PatchError
from node.network.libp2p_pubsub_guards import is_running, on_peer_fault, reset_quietly

logger = logging.getLogger(__name__)
PINNED_VERSION = "0.8.1"
_ORIGINAL = "__deltachain_original__"

AsyncMethod = Callable[..., Awaitable[Any]]
_write_locks: "weakref.WeakKeyDictionary[Any, trio.Lock]" = weakref.WeakKeyDictionary()


def guard_pubsub_read_loop(original: AsyncMethod) -> AsyncMethod:
    """Patch 1: a malformed /meshsub frame (or any failure handling one) ends that peer's
    stream, not the node."""

    @functools.wraps(original)
    async def continuously_read_stream(self: Pubsub, stream: Any) -> None:
        try:
            await original(self, stream)
        except Exception as exc:
            peer_id = stream.muxed_conn.peer_id
            await reset_quietly(stream)
            if not is_running(self):  # pubsub is stopping; nothing the peer did
                logger.debug("pubsub read loop ended while stopping peer=%s: %r", peer_id, exc)
                return
            try:
                self._handle_dead_peer(peer_id)
            finally:
                on_peer_fault(self, peer_id, exc, "pubsub frame")

    return continuously_read_stream


def guard_stream_handlers(original: AsyncMethod) -> AsyncMethod:
    """Patch 2: an exception in any stream handler resets that stream, not the node."""

    @functools.wraps(original)
    async def _swarm_stream_handler(self: BasicHost, net_stream: Any) -> None:
        try:
            await original(self, net_stream)
        except Exception:
            logger.exception("stream handler failed protocol=%s", net_stream.get_protocol())
            await reset_quietly(net_stream)

    return _swarm_stream_handler


def serialize_pubsub_writes(original: AsyncMethod) -> AsyncMethod:
    """Patch 3: one whole RPC at a time per pubsub stream."""

    @functools.wraps(original)
    async def write_msg(self: Pubsub, stream: Any, rpc_msg: Any) -> bool:
        lock = _write_locks.get(stream)
        if lock is None:
            lock = _write_locks[stream] = trio.Lock()
        async with lock:
            return bool(await original(self, stream, rpc_msg))

    return write_msg


_inbound_scope: contextvars.ContextVar[trio.CancelScope | None] = contextvars.ContextVar(
    "deltachain_inbound_scope", default=None
)


async def _cancel_when_closed(muxed_conn: Any, scope: trio.CancelScope) -> None:
    await muxed_conn.event_closed.wait()
    scope.cancel()


def release_inbound_handlers(original: AsyncMethod) -> AsyncMethod:
    """Patch 4, part 1: run each inbound handler in a scope its connection can cancel."""

    @functools.wraps(original)
    async def _do_handle_inbound_connection(self: Swarm, *args: Any) -> None:
        with trio.CancelScope() as scope:
            token = _inbound_scope.set(scope)
            try:
                await original(self, *args)
            finally:
                _inbound_scope.reset(token)

    return _do_handle_inbound_connection


def watch_inbound_connections(original: AsyncMethod) -> AsyncMethod:
    """Patch 4, part 2: when the upgraded connection closes, end its handler."""

    @functools.wraps(original)
    async def upgrade_inbound_raw_conn(self: Swarm, *args: Any) -> Any:
        muxed_conn = await original(self, *args)
        scope = _inbound_scope.get()
        if scope is not None and isinstance(getattr(muxed_conn, "event_closed", None), trio.Event):
            self.manager.run_task(_cancel_when_closed, muxed_conn, scope)
        return muxed_conn

    return upgrade_inbound_raw_conn


@dataclass(frozen=True)
class Patch:
    """One attribute (a method of a class, or a function of a module) replaced in py-libp2p."""

    name: str
    owner: object
    attribute: str
    wrap: Callable[[Any], Any]


PATCHES: tuple[Patch, ...] = (
    Patch("guard_pubsub_read_loop", Pubsub, "continuously_read_stream", guard_pubsub_read_loop),
    Patch("guard_stream_handlers", BasicHost, "_swarm_stream_handler", guard_stream_handlers),
    Patch("serialize_pubsub_writes", Pubsub, "write_msg", serialize_pubsub_writes),
    Patch(
        "release_inbound_handlers",
        Swarm,
        "_do_handle_inbound_connection",
        release_inbound_handlers,
    ),
    Patch(
        "release_inbound_handlers",
        Swarm,
        "upgrade_inbound_raw_conn",
        watch_inbound_connections,
    ),
    Patch("published_message", GossipSub, "publish", speedups.note_published_message),
    Patch(
        "large_message_idontwant",
        GossipSub,
        "_emit_idontwant_for_message",
        speedups.skip_small_idontwant,
    ),
    Patch(
        "remember_signed_records",
        pubsub_module,
        "maybe_consume_signed_record",
        speedups.remember_signed_records,
    ),
    Patch(
        "remember_signed_records",
        gossipsub_module,
        "maybe_consume_signed_record",
        speedups.remember_signed_records,
    ),
    Patch(
        "batched_yamux_credit",
        yamux_module.YamuxStream,
        "_auto_tune_and_send_window_update",
        speedups.batch_yamux_credit,
    ),
    Patch(
        "cached_yamux_settings", yamux_module, "_py_yamux_env", speedups.read_yamux_settings_once
    ),
    Patch("read_ahead_tcp", TrioTCPStream, "read", speedups.read_ahead_tcp),
    Patch("lru_validation_cache", pubsub_module, "ValidationCache", speedups.lru_validation_cache),
    Patch("indexed_parent_task", FunctionTask, "run", speedups.register_managed_task),
    Patch("cached_local_record", pubsub_module, "env_to_send_in_RPC", speedups.reuse_local_record),
    Patch(
        "cached_local_record", gossipsub_module, "env_to_send_in_RPC", speedups.reuse_local_record
    ),
    Patch(
        "indexed_parent_task",
        TrioManager,
        "_find_parent_task",
        speedups.skip_walk_for_unmanaged,
    ),
    Patch(
        "safe_blacklist_teardown",
        Pubsub,
        "_teardown_if_connected",
        guards.safe_blacklist_teardown,
    ),
    Patch("guard_push_msg", Pubsub, "push_msg", guards.guard_push_msg),
    Patch("fresh_replay_only", GossipSub, "send_recent_messages", guards.fresh_recent_messages),
    Patch(
        "fresh_pending_flush", GossipSub, "flush_pending_messages", guards.fresh_pending_messages
    ),
    Patch("direct_delivery", GossipSub, "_get_peers_to_send", direct.choose_direct_peers),
    Patch("direct_delivery", GossipSub, "gossip_heartbeat", direct.announce_owed_ids),
    Patch("direct_delivery", Pubsub, "_mark_msg_seen", direct.remember_seqno_ids),
)


SPEEDUPS = frozenset(
    {
        "large_message_idontwant",
        "remember_signed_records",
        "batched_yamux_credit",
        "indexed_parent_task",
        "cached_local_record",
        "cached_yamux_settings",
        "read_ahead_tcp",
        "lru_validation_cache",
    }
)
"""The names of the speed-ups, patches 5 to 8, 13 and 15 to 17 (a benchmark may revert them)."""


def validate_libp2p_version() -> None:
    """Raise PatchError unless the installed py-libp2p is the pinned version."""
    installed = importlib.metadata.version("libp2p")
    if installed != PINNED_VERSION:
        raise PatchError(f"patches are for py-libp2p {PINNED_VERSION}, found {installed}")


def is_applied(patch: Patch) -> bool:
    return hasattr(getattr(patch.owner, patch.attribute), _ORIGINAL)


def apply_patches(names: frozenset[str] | None = None) -> None:
    """Apply the named patches (all by default); applying twice changes nothing."""
    validate_libp2p_version()
    for patch in PATCHES:
        if (names is None or patch.name in names) and not is_applied(patch):
            original = getattr(patch.owner, patch.attribute)
            wrapped = patch.wrap(original)
            setattr(wrapped, _ORIGINAL, original)
            setattr(patch.owner, patch.attribute, wrapped)
            logger.debug("py-libp2p patch applied name=%s", patch.name)


def revert_patches(names: frozenset[str] | None = None) -> None:
    """Restore the original methods (used by the tests that show each bug)."""
    for patch in PATCHES:
        if (names is None or patch.name in names) and is_applied(patch):
            current = getattr(patch.owner, patch.attribute)
            setattr(patch.owner, patch.attribute, getattr(current, _ORIGINAL))
