"""A peer that takes a request and never answers is scored (``Offence.UNRESPONSIVE``); a peer
that answers "not found", or does not speak the protocol, is not."""

import hashlib

import pytest
import trio
import trio.testing
from libp2p.abc import INetStream
from trio_typing import TaskStatus

from node.network.config import Limits, ScoreParams
from node.network.errors import NotFoundError, PeerUnavailableError, StreamTimeoutError
from node.network.hostile import BlobBehaviour
from node.network.hostile_memory import HostileMemoryPeer
from node.network.libp2p_network import Libp2pNetwork
from node.network.memory import MemoryNetwork
from node.network.memory_hub import MemoryHub
from node.network.store import MemoryStore
from tests.node.network.conftest import CHAIN, GENESIS, make_config
from tests.node.network.test_libp2p_hardening import BLOB, raw_stack

LIMITS = Limits(io_timeout_s=0.5, fetch_timeout_s=2.0)
PENALTY = ScoreParams().violation_penalty
MISSING = hashlib.sha256(b"nobody has this").digest()


async def start_memory_pair(
    nursery: trio.Nursery, behaviour: BlobBehaviour | None
) -> tuple[MemoryNetwork, MemoryNetwork]:
    hub = MemoryHub()
    providers = MemoryStore(CHAIN, GENESIS).providers()
    client = MemoryNetwork(hub, make_config(0, limits=LIMITS), providers)
    server = (
        MemoryNetwork(hub, make_config(1), providers)
        if behaviour is None
        else HostileMemoryPeer(hub, make_config(1), providers, behaviour)
    )
    for node in (client, server):
        await nursery.start(_run, node)
    await client.connect(server.listen_addrs()[0])
    return client, server


async def _run(node: MemoryNetwork, *, task_status: TaskStatus[None]) -> None:
    async with node:
        task_status.started()
        await trio.sleep_forever()


async def test_unresponsive_silent_memory_peer_is_scored(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with trio.open_nursery() as nursery:
        client, server = await start_memory_pair(nursery, BlobBehaviour.SILENT)
        with pytest.raises(StreamTimeoutError):
            await client.fetch_blob(server.peer_id, MISSING, 100)
        assert client.get_score(server.peer_id) == pytest.approx(-PENALTY)
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("behaviour", [BlobBehaviour.NO_PROTOCOL, None])
async def test_unresponsive_refusal_or_not_found_costs_nothing(
    autojump_clock: trio.testing.MockClock, behaviour: BlobBehaviour | None
) -> None:
    async with trio.open_nursery() as nursery:
        client, server = await start_memory_pair(nursery, behaviour)
        expected = NotFoundError if behaviour is None else PeerUnavailableError
        with pytest.raises(expected):
            await client.fetch_blob(server.peer_id, MISSING, 100)
        assert client.get_score(server.peer_id) == 0.0
        nursery.cancel_scope.cancel()


async def test_unresponsive_silent_libp2p_peer_is_scored() -> None:
    store = MemoryStore(CHAIN, GENESIS)
    async with (
        Libp2pNetwork(make_config(0, limits=LIMITS), store.providers()) as node,
        raw_stack(make_config(1)) as silent,
    ):

        async def never_answer(stream: INetStream) -> None:
            await trio.sleep_forever()

        silent.host.set_stream_handler(BLOB, never_answer)
        await node.connect(f"{silent.host.get_addrs()[0]}")
        peer = silent.host.get_id().to_base58()
        with pytest.raises(StreamTimeoutError):
            await node.fetch_blob(peer, MISSING, 100)
        assert node.get_score(peer) == pytest.approx(-PENALTY, abs=0.5)
