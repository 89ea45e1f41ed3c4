"""Work py-libp2p 0.8.1 does per gossip message that a cluster on a few cores cannot afford.

Profiles of 21 validators on 2 cores (``scripts/bench_cluster_scale.py``) showed the CPU going
to per-RPC overhead rather than to consensus. These wrappers cut it; each keeps the protocol
as other libp2p implementations speak it. They are registered with the bug patches in
:mod:`node.network.libp2p_patches` (same pinning, same apply and revert).

5. ``large_message_idontwant`` - gossipsub v1.2 makes every node send an IDONTWANT control RPC
   to each mesh peer for every message it receives, however small: for a 200-byte vote that
   doubles the RPCs a node sends and parses. go-libp2p sends IDONTWANT only for messages of
   at least 1 KiB (``IDontWantMessageThreshold``); the wrapper applies the same threshold.
6. ``remember_signed_records`` - every pubsub RPC carries the sender's signed peer record, and
   the receiver verified its Ed25519 signature again on each one (twice for control RPCs).
   The wrapper remembers, per sending peer, the record bytes it last accepted and skips the
   check when the same bytes arrive again within a minute; any other bytes are verified.
7. ``batched_yamux_credit`` - a yamux reader sent a WINDOW_UPDATE frame after every read,
   and pubsub reads each RPC's length prefix one byte at a time: every RPC received cost the
   receiver two or three more encrypted frames and syscalls, and the sender as many reads.
   The library's "release on read" switch did not stop it (a second branch of its rule sent
   the same update). The wrapper keeps go-yamux's rule (``GrowTo``): credit goes back once
   the reader has consumed half of the receive window, with the window's auto-tuning
   unchanged. A sender never stalls on it: while the reader waits for data, at least half
   of the window is still open to the sender.
8. ``indexed_parent_task`` - ``TrioManager.run_task`` looks for the caller's task by walking
   the service's whole task tree. Pubsub calls it for every received message from the stream
   handler, which is no task of the tree, so each message paid a full walk over every live
   task of the service (half of a node's CPU time at 21 validators). The wrapper records each
   task the manager runs by its trio task while it runs, answers "no parent" at once for a
   trio task it never ran (or that ended), and leaves every other lookup to the library's walk.
13. ``cached_local_record`` - every RPC a node sends (each published or forwarded message,
   each control message) carries its own signed peer record, and the library looked it up
   anew for each: it formatted every listen address into a multiaddr, built a set of them and
    compared it with the record's (8% of a node's CPU with 4 validators on 2 cores). The
    wrapper keeps the record's bytes per host for ``LOCAL_RECORD_REUSE_S``: a node whose
    listen addresses change sends the new record within that time, as the library would.
15. ``cached_yamux_settings`` - yamux read its ``PY_YAMUX_*`` tuning variables from the
    environment on every frame (the data-frame read timeout) and every credit decision:
    about 4% of a node's CPU with 4 validators on 2 cores. The wrapper reads each once; a
    variable set after the first frame no longer changes anything.
16. ``read_ahead_tcp`` - each noise frame was two socket reads (its 2-byte length, then its
    body), each a ``recv`` system call and, when the bytes had not arrived yet, a wait in
    trio's epoll loop. Under load several frames wait in the socket together. The wrapper
    reads up to 64 KiB at once and serves the following small reads from what it got, so a
    burst of frames costs one ``recv``. Bytes come out in the order they arrived: reads of
    one connection hold one lock while they look at the buffer and the socket.
17. ``lru_validation_cache`` - pubsub remembers each message's validation result (1,000 of
    them) and kept their order in a list: each message received removed its id from that
    list by a linear search and evicted the oldest with ``list.pop(0)``, both scanning a
    thousand entries (3% of a node's CPU with 4 validators on 2 cores). The replacement keeps
    the same entries, limit and expiry in an ordered dictionary.
"""

import contextvars
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import trio

IDONTWANT_MIN_BYTES = 1024
"""go-libp2p's ``IDontWantMessageThreshold``: no IDONTWANT for smaller messages."""
RECORD_RECHECK_S = 60.0
"""How long an accepted peer record's bytes are taken as verified (the peerstore keeps it 2 h)."""
_MAX_REMEMBERED_PEERS = 4096
READ_AHEAD_BYTES = 65_536
"""The most a TCP connection reads from its socket at once for small reads (patch 16)."""
LOCAL_RECORD_REUSE_S = 5.0
"""How long a host's own signed record is reused before the library checks it again."""

_published_message: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "deltachain_gossip_published_message", default=None
)
_managed_tasks: "weakref.WeakKeyDictionary[trio.lowlevel.Task, Any]" = weakref.WeakKeyDictionary()
_accepted_records: "weakref.WeakKeyDictionary[Any, dict[bytes, tuple[bytes, float]]]" = (
    weakref.WeakKeyDictionary()
)
_local_records: "weakref.WeakKeyDictionary[Any, tuple[bytes, float]]" = weakref.WeakKeyDictionary()


def note_published_message(
    original: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """``GossipSub.publish`` records the message it publishes or forwards while it runs, for
    the IDONTWANT threshold (patch 5) and direct delivery (patch 14)."""

    async def publish(self: Any, msg_forwarder: Any, pubsub_msg: Any) -> None:
        token = _published_message.set(pubsub_msg)
        try:
            await original(self, msg_forwarder, pubsub_msg)
        finally:
            _published_message.reset(token)

    return publish


def get_published_message() -> Any:
    """The message ``GossipSub.publish`` is publishing in this task (None outside it)."""
    return _published_message.get()


def skip_small_idontwant(
    original: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Patch 5, part 2: IDONTWANT only for messages of at least ``IDONTWANT_MIN_BYTES``."""

    async def _emit_idontwant_for_message(
        self: Any, msg_id: bytes, topic_ids: Iterable[str]
    ) -> None:
        message = _published_message.get()
        if message is not None and len(message.data) < IDONTWANT_MIN_BYTES:
            return
        await original(self, msg_id, topic_ids)

    return _emit_idontwant_for_message


def remember_signed_records(original: Callable[..., bool]) -> Callable[..., bool]:
    """Patch 6: verify a peer's signed record once per distinct bytes (and per minute)."""

    def maybe_consume_signed_record(msg: Any, host: Any, peer_id: Any) -> bool:
        if not msg.HasField("senderRecord"):
            return True
        record = bytes(msg.senderRecord)
        key = peer_id.to_bytes()
        remembered = _accepted_records.setdefault(host, {})
        now = time.monotonic()
        hit = remembered.get(key)
        if hit is not None and hit[0] == record and now - hit[1] < RECORD_RECHECK_S:
            return True
        accepted = bool(original(msg, host, peer_id))
        if accepted:
            if len(remembered) >= _MAX_REMEMBERED_PEERS:
                remembered.clear()
            remembered[key] = (record, now)
        return accepted

    return maybe_consume_signed_record


def batch_yamux_credit(
    _original: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Patch 7: a yamux stream returns receive credit once half of its window is used."""

    async def _auto_tune_and_send_window_update(self: Any, *, bytes_read: int = 0) -> None:
        increment = 0
        async with self.window_lock:
            buffered = len(self.conn.stream_buffers.get(self.stream_id, b""))
            consumed = self.target_recv_window - (self.recv_window + buffered)
            if consumed > 0 and consumed >= self.target_recv_window // 2:
                increment = self._grow_to_delta(buffered)
                increment += self._apply_autotune_epoch(buffered)
        if increment > 0:
            await self.send_window_update(increment, skip_lock=True)

    return _auto_tune_and_send_window_update


class _ReadAhead:
    """Bytes read from a socket beyond what the reader asked for, and a lock that keeps
    readers in order (the library's own lock is taken inside each socket read)."""

    def __init__(self) -> None:
        self.data = b""
        self.offset = 0
        self.lock = trio.Lock()

    def take(self, n: int | None) -> bytes:
        end = len(self.data) if n is None else min(len(self.data), self.offset + n)
        chunk = self.data[self.offset : end]
        self.offset = end
        if self.offset == len(self.data):
            self.data, self.offset = b"", 0
        return chunk


_read_aheads: "weakref.WeakKeyDictionary[Any, _ReadAhead]" = weakref.WeakKeyDictionary()


def read_ahead_tcp(
    original: Callable[..., Awaitable[bytes]], chunk: int = READ_AHEAD_BYTES
) -> Callable[..., Awaitable[bytes]]:
    """Patch 16: a TCP connection reads what the socket holds (up to ``chunk`` bytes) and
    serves later small reads from it."""

    async def read(self: Any, n: int | None = None) -> bytes:
        if n == 0:
            return b""
        ahead = _read_aheads.get(self)
        if ahead is None:
            ahead = _read_aheads[self] = _ReadAhead()
        async with ahead.lock:
            if ahead.data:
                return ahead.take(n)
            if n is None or n >= chunk:
                return await original(self, n)
            data = await original(self, chunk)
            if len(data) <= n:
                return data
            ahead.data, ahead.offset = data, n
            return data[:n]

    return read


class LruValidationCache:
    """Pubsub's cache of validation results (same interface and limits), in one ordered
    dictionary: every operation is O(1)."""

    def __init__(self, ttl: int = 300, max_size: int = 1000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self.cache: OrderedDict[bytes, Any] = OrderedDict()

    def get(self, msg_id: bytes) -> Any:
        result = self.cache.get(msg_id)
        if result is None:
            return None
        if time.time() - result.timestamp > self.ttl:
            del self.cache[msg_id]
            return None
        self.cache.move_to_end(msg_id)
        return result

    def put(self, msg_id: bytes, result: Any) -> None:
        self.cache[msg_id] = result
        self.cache.move_to_end(msg_id)
        while len(self.cache) > self.max_size:
            self.cache.popitem(last=False)

    def clear_expired(self) -> None:
        now = time.time()
        for msg_id in [m for m, r in self.cache.items() if now - r.timestamp > self.ttl]:
            del self.cache[msg_id]


def lru_validation_cache(_original: type) -> type:
    """Patch 17: pubsub's validation cache without a linear scan per message."""
    return LruValidationCache


def read_yamux_settings_once(original: Callable[..., str]) -> Callable[..., str]:
    """Patch 15: yamux's ``PY_YAMUX_*`` tuning variables, read once per name and default."""
    settings: dict[tuple[str, str], str] = {}

    def _py_yamux_env(name: str, default: str = "") -> str:
        key = (name, default)
        if key not in settings:
            settings[key] = original(name, default)
        return settings[key]

    return _py_yamux_env


def register_managed_task(
    original: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Patch 8, part 1: ``FunctionTask.run`` records the trio task it runs in, until it ends.

    The entry must go when the run ends: the value (the library's task) refers to the trio task
    it is weakly keyed by, so the weak key alone never frees it, and every finished task (one
    per gossip message received) stayed in memory for good: ~0.11 MiB per block on a testnet.
    """

    async def run(self: Any) -> None:
        trio_task = trio.lowlevel.current_task()
        _managed_tasks[trio_task] = self
        try:
            await original(self)
        finally:
            _managed_tasks.pop(trio_task, None)

    return run


def skip_walk_for_unmanaged(original: Callable[..., Any]) -> Callable[..., Any]:
    """Patch 8, part 2: a trio task no manager ran has no parent task; others walk the tree."""

    def _find_parent_task(self: Any, trio_task: trio.lowlevel.Task) -> Any:
        if trio_task not in _managed_tasks:
            return None
        return original(self, trio_task)

    return _find_parent_task


def reuse_local_record(
    original: Callable[[Any], tuple[bytes, bool]], reuse_s: float = LOCAL_RECORD_REUSE_S
) -> Callable[[Any], tuple[bytes, bool]]:
    """Patch 13: a host's own signed record, checked against its addresses once per
    ``reuse_s`` seconds."""

    def env_to_send_in_RPC(host: Any) -> tuple[bytes, bool]:  # noqa: N802 - the library's name
        now = time.monotonic()
        hit = _local_records.get(host)
        if hit is not None and now - hit[1] < reuse_s:
            return hit[0], False
        envelope, created = original(host)
        _local_records[host] = (envelope, now)
        return envelope, created

    return env_to_send_in_RPC
