"""The py-libp2p speed-ups (patches 5 to 8, 13, 15 and 16): each one's effect, with and without."""

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, cast

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.io.trio import TrioTCPStream
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.pubsub import gossipsub as gossipsub_module
from libp2p.pubsub import pubsub as pubsub_module
from libp2p.pubsub import utils as pubsub_utils
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import ValidationResult
from libp2p.stream_muxer.yamux import yamux as yamux_module
from libp2p.stream_muxer.yamux.yamux import YamuxStream
from libp2p.tools.anyio_service import Service, background_trio_service
from libp2p.tools.anyio_service.trio_tasks import FunctionTask

from node.network import libp2p_patches
from node.network import libp2p_speedups as speedups
from node.network.libp2p_host import Libp2pStack, build_host, parse_addrs
from node.network.libp2p_speedups import IDONTWANT_MIN_BYTES
from tests.node.network.conftest import make_config, wait_until
from tests.node.network.test_libp2p_hardening import raw_stack

TOPIC = "/speedups/test/1"
SMALL_FRAMES = TProtocol("/speedups/frames/1")


@contextmanager
def reverted(name: str) -> Iterator[None]:
    names = frozenset({name})
    libp2p_patches.revert_patches(names)
    try:
        yield
    finally:
        libp2p_patches.apply_patches(names)


@asynccontextmanager
async def two_subscribed_stacks() -> AsyncIterator[tuple[Libp2pStack, Libp2pStack]]:
    """Two py-libp2p stacks on loopback, each in the other's mesh for ``TOPIC``."""
    async with raw_stack(make_config(51)) as sender, raw_stack(make_config(52)) as receiver:
        await sender.host.connect(PeerInfo(receiver.host.get_id(), receiver.host.get_addrs()))
        await sender.pubsub.subscribe(TOPIC)
        await receiver.pubsub.subscribe(TOPIC)

        def meshed() -> bool:
            return receiver.host.get_id() in sender.gossipsub.mesh.get(
                TOPIC, set()
            ) and sender.host.get_id() in receiver.gossipsub.mesh.get(TOPIC, set())

        await wait_until(meshed, timeout_s=15)
        yield sender, receiver


async def idontwant_count_after(size: int) -> int:
    """Publish one ``size``-byte message; how many IDONTWANT ids the sender got back."""
    async with two_subscribed_stacks() as (sender, receiver):
        peer = receiver.host.get_id()
        await sender.pubsub.publish(TOPIC, b"x" * size)
        most = 0  # the heartbeat clears these ids every second: watch them closely
        deadline = trio.current_time() + 1.0
        while trio.current_time() < deadline:
            most = max(most, len(sender.gossipsub.dont_send_message_ids.get(peer, ())))
            await trio.sleep(0.001)
        return most


async def test_small_messages_draw_no_idontwant_large_ones_still_do() -> None:
    with reverted("large_message_idontwant"):
        assert await idontwant_count_after(200) == 1  # the library's own behaviour
    assert await idontwant_count_after(200) == 0
    assert await idontwant_count_after(IDONTWANT_MIN_BYTES) == 1


def counting_consume_envelope(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Record each signature check the library makes (the real check still runs)."""
    calls: list[bytes] = []
    real: Callable[..., Any] = getattr(pubsub_utils, "consume_envelope")  # noqa: B009

    def consume_envelope(data: bytes, domain: str) -> Any:
        calls.append(data)
        return real(data, domain)

    monkeypatch.setattr(pubsub_utils, "consume_envelope", consume_envelope)
    return calls


def consume_signed_record() -> Callable[..., bool]:
    """The check as pubsub calls it (patched or not at the time of the call)."""
    function: Callable[..., bool] = getattr(pubsub_module, "maybe_consume_signed_record")  # noqa: B009
    return function


def rpc_with_record(record: bytes) -> rpc_pb2.RPC:
    return rpc_pb2.RPC(senderRecord=record)


def test_a_peer_record_is_verified_once_per_distinct_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = counting_consume_envelope(monkeypatch)
    sender, receiver = build_host(make_config(53)), build_host(make_config(54))
    record, _ = env_to_send_in_RPC(sender)
    consume = consume_signed_record()
    for _ in range(5):
        assert consume(rpc_with_record(record), receiver, sender.get_id())
    assert len(calls) == 1

    forged = record[:-1] + bytes([record[-1] ^ 1])  # one bit of the signature flipped
    assert not consume(rpc_with_record(forged), receiver, sender.get_id())
    assert not consume(rpc_with_record(forged), receiver, sender.get_id())
    assert len(calls) == 3  # bytes never accepted are checked every time
    other = ID.from_base58(build_host(make_config(55)).get_id().to_base58())
    assert not consume(rpc_with_record(record), receiver, other)  # someone else's record
    assert consume(rpc_pb2.RPC(), receiver, sender.get_id())  # no record: nothing to check


def test_without_the_patch_every_rpc_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_consume_envelope(monkeypatch)
    sender, receiver = build_host(make_config(56)), build_host(make_config(57))
    record, _ = env_to_send_in_RPC(sender)
    with reverted("remember_signed_records"):
        for _ in range(5):
            assert consume_signed_record()(rpc_with_record(record), receiver, sender.get_id())
    assert len(calls) == 5


def count_window_updates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every WINDOW_UPDATE frame a yamux stream of this process sends, by its increment."""
    sent: list[int] = []
    send = YamuxStream.send_window_update

    async def counted(self: YamuxStream, increment: int, skip_lock: bool = False) -> None:
        if increment > 0:
            sent.append(increment)
        await send(self, increment, skip_lock)

    monkeypatch.setattr(YamuxStream, "send_window_update", counted)
    return sent


async def stream_through_yamux(writes: list[bytes], read_size: int) -> bytes:
    """Write ``writes`` over one yamux stream between two hosts on loopback; what the other
    side read, ``read_size`` bytes at a time."""
    sender, receiver = build_host(make_config(58)), build_host(make_config(59))
    total = sum(len(w) for w in writes)
    finished = trio.Event()
    received = bytearray()

    async def read_all(stream: INetStream) -> None:
        while len(received) < total:
            received.extend(await stream.read(min(read_size, total - len(received))))
        finished.set()

    receiver.set_stream_handler(SMALL_FRAMES, read_all)
    listen = make_config(0).listen_addrs
    async with sender.run(parse_addrs(listen)), receiver.run(parse_addrs(listen)):
        await sender.connect(PeerInfo(receiver.get_id(), receiver.get_addrs()))
        stream = await sender.new_stream(receiver.get_id(), [SMALL_FRAMES])
        with trio.fail_after(20):
            for data in writes:
                await stream.write(data)
                await trio.sleep(0.002 if len(data) < 1024 else 0)  # small: one read each
            await finished.wait()
        await sender.get_network().close()
        await receiver.get_network().close()
    return bytes(received)


async def test_yamux_returns_credit_in_batches_not_per_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = count_window_updates(monkeypatch)
    small = [bytes([i]) * 100 for i in range(50)]
    with reverted("batched_yamux_credit"):
        assert await stream_through_yamux(small, 100) == b"".join(small)
    assert len(sent) >= 40  # one frame back for (almost) every 100-byte read
    sent.clear()
    assert await stream_through_yamux(small, 1) == b"".join(small)  # even 1 byte per read
    assert sent == []  # 5,000 bytes are far from half of the 256 KiB window


async def test_batched_credit_never_stalls_a_long_transfer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = count_window_updates(monkeypatch)
    writes = [bytes([i % 251]) * 65_536 for i in range(48)]  # 3 MiB, 12 windows' worth
    assert await stream_through_yamux(writes, 10_000) == b"".join(writes)
    assert 6 <= len(sent) <= 48  # credit in batches of at least half a window


class Recorder(Service):
    """A py-libp2p service whose tasks note under which parent task the manager filed them."""

    def __init__(self) -> None:
        self.parents: dict[str, Any] = {}
        self.release = trio.Event()

    async def run(self) -> None:
        await self.release.wait()

    async def note(self, name: str) -> None:
        task = next(
            t
            for t in FunctionTask.iterate_tasks(*self._root_tasks())
            if t.has_trio_task and t.trio_task is trio.lowlevel.current_task()
        )
        self.parents[name] = task.parent
        await self.release.wait()

    async def spawn_child(self) -> None:
        self.manager.run_task(self.note, "child")
        await self.note("spawner")

    def _root_tasks(self) -> set[Any]:
        roots: set[Any] = getattr(self.manager, "_root_tasks")  # noqa: B009
        return roots


async def parents_and_walks(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], int]:
    """Start a task from outside the service and one from inside; the parents the manager
    gave them and how many tree walks the outside start cost."""
    walks: list[int] = []
    real = FunctionTask.iterate_tasks.__func__  # type: ignore[attr-defined]

    def counting(cls: type, *tasks: Any) -> Any:
        walks.append(1)
        return real(cls, *tasks)

    service = Recorder()
    async with background_trio_service(service):
        service.manager.run_task(service.spawn_child)
        await wait_until(lambda: {"spawner", "child"} <= service.parents.keys())
        monkeypatch.setattr(FunctionTask, "iterate_tasks", classmethod(counting))
        service.manager.run_task(service.note, "outside")
        monkeypatch.undo()
        await wait_until(lambda: "outside" in service.parents)
        service.release.set()
    return service.parents, len(walks)


async def test_tasks_started_from_outside_the_service_skip_the_tree_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with reverted("indexed_parent_task"):
        library, library_walks = await parents_and_walks(monkeypatch)
    patched, patched_walks = await parents_and_walks(monkeypatch)
    assert library_walks >= 1 and patched_walks == 0
    for parents in (library, patched):  # the same task tree either way
        assert parents["outside"] is None and parents["spawner"] is None
        assert parents["child"] is not None


class Chatty(Service):
    """A service whose long-lived task runs one short task per 'message', as pubsub's stream
    reader runs ``push_msg`` for every RPC it reads."""

    def __init__(self, messages: int) -> None:
        self.messages = messages
        self.done = trio.Event()

    async def run(self) -> None:
        self.manager.run_daemon_task(self.read)
        await self.manager.wait_finished()

    async def read(self) -> None:
        for _ in range(self.messages):
            self.manager.run_task(trio.sleep, 0)
            await trio.sleep(0.001)
        await trio.sleep(0.05)  # every short task has finished
        self.done.set()
        await trio.sleep_forever()


async def test_finished_tasks_leave_the_parent_index() -> None:
    """The index of managed tasks held each finished task for good (its value, the library's
    task, refers to the trio task it is keyed by weakly): ~0.11 MiB per block on a testnet."""
    import gc

    from node.network import libp2p_speedups

    service = Chatty(500)
    before = len(libp2p_speedups._managed_tasks)
    async with background_trio_service(service) as manager:
        await service.done.wait()
        gc.collect()
        indexed = len(libp2p_speedups._managed_tasks) - before
        manager.cancel()
    assert indexed <= 2, f"{indexed} tasks indexed after 500 finished"  # the reader, and run


def patched_lookup(module: Any) -> Callable[[Any], tuple[bytes, bool]]:
    """The record lookup a pubsub module calls (the patched function while patched)."""
    lookup: Callable[[Any], tuple[bytes, bool]] = getattr(module, "env_to_send_in_RPC")  # noqa: B009
    return lookup


def counting_get_addrs(monkeypatch: pytest.MonkeyPatch, host: Any) -> list[int]:
    """Count how often the library formats ``host``'s listen addresses (the real call runs)."""
    calls: list[int] = []
    real = host.get_addrs

    def get_addrs() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(host, "get_addrs", get_addrs)
    return calls


def test_the_own_peer_record_is_looked_up_once_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = build_host(make_config(60))
    calls = counting_get_addrs(monkeypatch, host)
    records = {patched_lookup(gossipsub_module)(host)[0] for _ in range(20)}
    records |= {patched_lookup(pubsub_module)(host)[0] for _ in range(20)}
    assert records == {env_to_send_in_RPC(host)[0]}  # the library's own record, unchanged
    assert len(calls) == 2  # the first of the patched lookups, and the unpatched one above


async def test_the_own_peer_record_follows_changed_addresses() -> None:
    host = build_host(make_config(61))
    reused = patched_lookup(pubsub_module)
    every_time = speedups.reuse_local_record(env_to_send_in_RPC, reuse_s=0.0)
    before = reused(host)[0], every_time(host)[0]  # not listening yet: no address
    async with host.run(parse_addrs(make_config(0).listen_addrs)):
        port = int(host.get_addrs()[0].value_for_protocol("tcp"))
        assert reused(host)[0] == before[0]  # within the interval: the record it had
        record, created = every_time(host)  # the interval has passed: a new record
        assert created and record != before[1]
        assert port.to_bytes(2, "big") in record  # it carries the address now listened on
        await host.get_network().close()


def test_without_the_patch_each_rpc_formats_the_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = build_host(make_config(62))
    calls = counting_get_addrs(monkeypatch, host)
    with reverted("cached_local_record"):
        for _ in range(5):
            patched_lookup(gossipsub_module)(host)
    assert len(calls) == 5


def test_yamux_tuning_variables_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    variable = "PY_YAMUX_DELTACHAIN_TEST_ONLY"
    monkeypatch.setenv(variable, "first")
    assert yamux_module._py_yamux_env("DELTACHAIN_TEST_ONLY", "unset") == "first"
    monkeypatch.setenv(variable, "second")
    assert yamux_module._py_yamux_env("DELTACHAIN_TEST_ONLY", "unset") == "first"
    assert yamux_module._py_yamux_env("DELTACHAIN_TEST_ONLY_OTHER", "unset") == "unset"
    with reverted("cached_yamux_settings"):  # the library reads the environment every time
        assert yamux_module._py_yamux_env("DELTACHAIN_TEST_ONLY", "unset") == "second"


class CountingSocketStream:
    """A real trio socket stream that counts its ``receive_some`` calls."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.receives = 0

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        self.receives += 1
        return await self.stream.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.stream.aclose()


async def read_in_small_pieces(sizes: list[int | None]) -> tuple[list[bytes], int]:
    """Send 26 bytes and close; read them back through ``TrioTCPStream`` in ``sizes``."""
    left, right = trio.socket.socketpair()
    sender, receiving = trio.SocketStream(left), CountingSocketStream(trio.SocketStream(right))
    await sender.send_all(b"abcdefghijklmnopqrstuvwxyz")
    await sender.aclose()
    stream = TrioTCPStream(cast(trio.SocketStream, receiving))
    pieces = [await stream.read(size) for size in sizes]
    await stream.close()
    return pieces, receiving.receives


async def test_small_reads_are_served_from_one_socket_read() -> None:
    sizes: list[int | None] = [2, 5, 0, 4, None, 3]
    pieces, receives = await read_in_small_pieces(sizes)
    assert pieces == [b"ab", b"cdefg", b"", b"hijk", b"lmnopqrstuvwxyz", b""]
    assert receives == 2  # the bytes, then the end of the stream
    with reverted("read_ahead_tcp"):
        pieces, receives = await read_in_small_pieces(sizes)
    assert pieces[:4] == [b"ab", b"cdefg", b"", b"hijk"]
    assert receives == 5  # one per read that asked for bytes


def test_pubsub_s_validation_cache_is_the_lru_one() -> None:
    patched: object = pubsub_module.ValidationCache
    assert patched is speedups.LruValidationCache
    with reverted("lru_validation_cache"):
        original: object = pubsub_module.ValidationCache
        assert original is not speedups.LruValidationCache


@pytest.mark.parametrize("cache_class", [speedups.LruValidationCache, "library"])
def test_validation_cache_keeps_the_library_s_rules(cache_class: Any) -> None:
    with reverted("lru_validation_cache"):
        library = pubsub_module.ValidationCache
    cache = (library if cache_class == "library" else cache_class)(ttl=60, max_size=3)
    now = time.time()
    for name in (b"a", b"b", b"c"):
        cache.put(name, ValidationResult(is_valid=True, timestamp=now))
    assert cache.get(b"a") is not None  # now the most recently used
    cache.put(b"d", ValidationResult(is_valid=False, timestamp=now, error_message="bad"))
    assert cache.get(b"b") is None  # the least recently used went
    assert [cache.get(n) is not None for n in (b"a", b"c", b"d")] == [True, True, True]
    rejected = cache.get(b"d")
    assert rejected is not None and not rejected.is_valid
    cache.put(b"old", ValidationResult(is_valid=True, timestamp=now - 120))
    assert cache.get(b"old") is None  # expired
    cache.put(b"old", ValidationResult(is_valid=True, timestamp=now - 120))
    cache.clear_expired()
    assert [n for n in (b"a", b"c", b"d", b"old") if cache.get(n) is not None] == [b"c", b"d"]
