"""MemoryNetwork specifics: latency and drop knobs under MockClock, determinism, relaying."""

import hashlib

import pytest
import trio
import trio.testing

from node.network.config import NetworkConfig
from node.network.errors import ConfigError, PeerUnavailableError
from node.network.memory import MemoryNetwork
from node.network.memory_hub import MemoryHub
from node.network.store import MemoryStore
from node.network.values import Verdict
from tests.node.network.conftest import CHAIN, FAST_REDIAL, GENESIS, make_seed

TOPIC = "/deltachain/testchain/txs/1"


def make_node(hub: MemoryHub, index: int, *bootstrap: str) -> MemoryNetwork:
    config = NetworkConfig(CHAIN, make_seed(index), bootstrap_peers=bootstrap, redial=FAST_REDIAL)
    return MemoryNetwork(hub, config, MemoryStore(CHAIN, GENESIS).providers())


def accept(_peer: str, _data: bytes) -> Verdict:
    return Verdict.ACCEPT


async def test_memory_latency_applies_per_hop(mock_clock: trio.testing.MockClock) -> None:
    mock_clock.autojump_threshold = 0
    hub = MemoryHub(latency_s=0.05)
    a, b, c = (make_node(hub, i) for i in range(3))
    async with a, b, c:
        await b.connect(a.listen_addrs()[0])
        await c.connect(b.listen_addrs()[0])  # a - b - c: c is two hops from a
        await a.subscribe(TOPIC, accept)
        await b.subscribe(TOPIC, accept)
        inbox = await c.subscribe(TOPIC, accept)
        sent = trio.current_time()
        await a.publish(TOPIC, b"relayed")
        assert (await inbox.receive()).origin == a.peer_id
        assert trio.current_time() - sent == pytest.approx(0.10)


async def test_memory_drops_are_seeded_and_deterministic() -> None:
    async def deliveries(seed: int) -> list[int]:
        hub = MemoryHub(drop_rate=0.5, seed=seed)
        a, b = make_node(hub, 0), make_node(hub, 1)
        got: list[int] = []
        async with a, b:
            await b.connect(a.listen_addrs()[0])
            inbox = await b.subscribe(TOPIC, accept)
            for i in range(40):
                await a.publish(TOPIC, b"m%d" % i)
            await trio.sleep(0.05)
            while True:
                try:
                    got.append(int((inbox.receive_nowait()).data[1:]))
                except trio.WouldBlock:
                    return sorted(got)

    first = await deliveries(7)
    assert first == await deliveries(7)
    assert 5 < len(first) < 35
    assert first != await deliveries(8)


async def test_memory_duplicate_data_delivered_once() -> None:
    hub = MemoryHub()
    a, b, c = (make_node(hub, i) for i in range(3))
    async with a, b, c:
        await c.connect(a.listen_addrs()[0])
        await c.connect(b.listen_addrs()[0])
        inbox = await c.subscribe(TOPIC, accept)
        await a.publish(TOPIC, b"same bytes")
        await b.publish(TOPIC, b"same bytes")
        await trio.sleep(0.01)
        assert (await inbox.receive()).msg_id == hashlib.sha256(b"same bytes").digest()
        with pytest.raises(trio.WouldBlock):
            inbox.receive_nowait()


async def test_memory_node_id_unique_on_hub_and_stopped_peer_unreachable() -> None:
    hub = MemoryHub()
    a = make_node(hub, 0)
    async with a:
        with pytest.raises(ConfigError):
            async with make_node(hub, 0):
                pass
    b = make_node(hub, 1)
    async with b:
        with pytest.raises(PeerUnavailableError):
            await b.connect(a.listen_addrs()[0])


def test_memory_hub_rejects_bad_knobs() -> None:
    with pytest.raises(ConfigError):
        MemoryHub(drop_rate=1.5)
