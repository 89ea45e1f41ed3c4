"""Each py-libp2p patch: the bug shows without it and is gone with it.

The two crash bugs end the whole process, so their unpatched runs happen in a subprocess
(``patch_probe.py``); the write-interleaving bug is shown in-process by reverting the patch.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.pb import rpc_pb2
from libp2p.tools.anyio_service import background_trio_service
from libp2p.utils.varint import read_varint_prefixed_bytes_limited

from node.network import libp2p_patches
from node.network.errors import PatchError
from node.network.libp2p_host import build_host, build_stack, parse_addrs
from tests.node.network.patch_probe import CRASHED, make_config

PROBE = Path(__file__).with_name("patch_probe.py")
FRAMES = TProtocol("/probe/frames/1")
RPC_DATA_BYTES = 300_000


def run_probe(scenario: str, *patches: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROBE), scenario, *patches],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.multiprocess
def test_guard_pubsub_read_loop_garbage_frame_crashes_only_without_patch() -> None:
    unpatched = run_probe("garbage-meshsub")
    assert unpatched.returncode == CRASHED, unpatched.stdout + unpatched.stderr
    assert "DecodeError" in unpatched.stdout
    patched = run_probe("garbage-meshsub", "guard_pubsub_read_loop")
    assert patched.returncode == 0, patched.stdout + patched.stderr


@pytest.mark.multiprocess
def test_guard_stream_handlers_raising_handler_crashes_only_without_patch() -> None:
    unpatched = run_probe("raising-handler")
    assert unpatched.returncode == CRASHED, unpatched.stdout + unpatched.stderr
    assert "RuntimeError" in unpatched.stdout
    patched = run_probe("raising-handler", "guard_stream_handlers")
    assert patched.returncode == 0, patched.stdout + patched.stderr


async def send_two_large_rpcs_concurrently() -> list[bytes | str]:
    """Two concurrent ``Pubsub.write_msg`` calls of 300 kB RPCs; what the reader parses."""
    sender = build_stack(make_config(0))
    receiver = build_host(make_config(1))
    received: list[bytes | str] = []
    done = trio.Event()

    async def read_frames(stream: INetStream) -> None:
        try:
            for _ in range(2):
                frame = await read_varint_prefixed_bytes_limited(stream, 4 << 20)
                rpc = rpc_pb2.RPC()
                rpc.ParseFromString(frame)
                received.append(rpc.publish[0].data)
        except Exception as exc:
            received.append(type(exc).__name__)
        finally:
            done.set()

    receiver.set_stream_handler(FRAMES, read_frames)
    listen = parse_addrs(("/ip4/127.0.0.1/tcp/0",))
    async with (
        sender.host.run(listen),
        receiver.run(listen),
        background_trio_service(sender.pubsub),
        background_trio_service(sender.gossipsub),
    ):
        await sender.host.connect(PeerInfo(receiver.get_id(), receiver.get_addrs()))
        stream = await sender.host.new_stream(receiver.get_id(), [FRAMES])
        async with trio.open_nursery() as nursery:
            for fill in (b"a", b"b"):
                rpc = rpc_pb2.RPC(publish=[rpc_pb2.Message(data=fill * RPC_DATA_BYTES)])
                nursery.start_soon(sender.pubsub.write_msg, stream, rpc)
        with trio.fail_after(10):
            await done.wait()
        await sender.host.get_network().close()
        await receiver.get_network().close()
    return received


async def test_serialize_pubsub_writes_keeps_large_rpcs_whole() -> None:
    names = frozenset({"serialize_pubsub_writes"})
    libp2p_patches.revert_patches(names)
    try:
        unpatched = await send_two_large_rpcs_concurrently()
    finally:
        libp2p_patches.apply_patches(names)
    intact = sorted([b"a" * RPC_DATA_BYTES, b"b" * RPC_DATA_BYTES])
    assert sorted(unpatched, key=str) != intact
    patched = await send_two_large_rpcs_concurrently()
    assert sorted(patched, key=str) == intact


def test_apply_patches_is_idempotent_and_reversible() -> None:
    libp2p_patches.apply_patches()
    wrapped = {p.name: getattr(p.owner, p.attribute) for p in libp2p_patches.PATCHES}
    libp2p_patches.apply_patches()
    assert wrapped == {p.name: getattr(p.owner, p.attribute) for p in libp2p_patches.PATCHES}
    assert all(libp2p_patches.is_applied(p) for p in libp2p_patches.PATCHES)


def test_patches_refuse_other_libp2p_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libp2p_patches, "PINNED_VERSION", "0.0.0")
    with pytest.raises(PatchError):
        libp2p_patches.apply_patches()


async def test_release_inbound_handlers_stops_task_leak_per_connection() -> None:
    from tests.node.network.test_libp2p_hardening import count_after_visits

    names = frozenset({"release_inbound_handlers"})
    libp2p_patches.revert_patches(names)
    try:
        unpatched = [tasks for tasks, _ in await count_after_visits(3)]
    finally:
        libp2p_patches.apply_patches(names)
    assert unpatched[2] - unpatched[0] >= 2, unpatched  # one stuck task per inbound connection
    patched = [tasks for tasks, _ in await count_after_visits(3)]
    assert patched[2] - patched[0] <= 0, patched


@pytest.mark.multiprocess
def test_safe_blacklist_teardown_ban_during_traffic_crashes_only_without_patch() -> None:
    unpatched = run_probe("ban-during-traffic")
    assert unpatched.returncode == CRASHED, unpatched.stdout + unpatched.stderr
    assert "KeyError" in unpatched.stdout
    patched = run_probe("ban-during-traffic", "safe_blacklist_teardown")
    assert patched.returncode == 0, patched.stdout + patched.stderr


@pytest.mark.multiprocess
def test_guard_push_msg_unparsable_key_crashes_only_without_patch() -> None:
    unpatched = run_probe("bad-key")
    assert unpatched.returncode == CRASHED, unpatched.stdout + unpatched.stderr
    assert "DecodeError" in unpatched.stdout
    patched = run_probe("bad-key", "guard_push_msg")
    assert patched.returncode == 0, patched.stdout + patched.stderr
