"""One contract, two implementations: every test runs on MemoryNetwork and Libp2pNetwork."""

import hashlib

import pytest
import trio

from node.network.config import Limits, ScoreParams
from node.network.errors import (
    HashMismatchError,
    InvalidRequestError,
    MessageTooLargeError,
    NotFoundError,
    NotRunningError,
    PeerBannedError,
    PeerUnavailableError,
    RemoteError,
    UnknownTopicError,
)
from node.network.peer_metrics import get_sample_name
from node.network.port import NetworkPort, PeerMetricsSource
from node.network.store import MemoryStore
from node.network.values import ProtocolKind, Status, TopicKind, Verdict, get_topic_name
from tests.node.network.conftest import (
    CHAIN,
    GENESIS,
    NodeFactory,
    make_config,
    wait_until,
)

TXS = get_topic_name(CHAIN, TopicKind.TXS)
VOTES = get_topic_name(CHAIN, TopicKind.VOTES)


def accept_all(_peer: str, _data: bytes) -> Verdict:
    return Verdict.ACCEPT


def reject_bad(_peer: str, data: bytes) -> Verdict:
    return Verdict.REJECT if data.startswith(b"bad") else Verdict.ACCEPT


async def wait_mesh(nodes: list[NetworkPort], topic: str) -> None:
    await wait_until(lambda: all(node.topic_peers(topic) for node in nodes))


class TestNetworkContract:
    async def test_gossip_reaches_every_subscriber_once(self, factory: NodeFactory) -> None:
        nodes = await factory.start_connected(5)
        inboxes = [await node.subscribe(TXS, accept_all) for node in nodes]
        await wait_mesh(nodes, TXS)
        await nodes[0].publish(TXS, b"tx-1")
        for inbox in inboxes[1:]:
            with trio.fail_after(5):
                message = await inbox.receive()
            assert (message.data, message.origin) == (b"tx-1", nodes[0].peer_id)
            assert message.msg_id == hashlib.sha256(b"tx-1").digest()
        await trio.sleep(0.3)
        for inbox in inboxes:
            with pytest.raises(trio.WouldBlock):
                inbox.receive_nowait()

    async def test_gossip_keeps_topics_apart(self, factory: NodeFactory) -> None:
        a, b = await factory.start_connected(2)
        votes_b = await b.subscribe(VOTES, accept_all)
        txs_b = await b.subscribe(TXS, accept_all)
        await a.subscribe(VOTES, accept_all)
        await wait_mesh([a, b], VOTES)
        await a.publish(VOTES, b"vote")
        with trio.fail_after(5):
            assert (await votes_b.receive()).topic == VOTES
        with pytest.raises(trio.WouldBlock):
            txs_b.receive_nowait()

    async def test_closed_inbox_does_not_break_the_node(self, factory: NodeFactory) -> None:
        a, b = await factory.start_connected(2)
        await a.subscribe(TXS, accept_all)
        inbox = await b.subscribe(TXS, accept_all)
        votes = await b.subscribe(VOTES, accept_all)
        await a.subscribe(VOTES, accept_all)
        await wait_mesh([a, b], TXS)
        await wait_mesh([a, b], VOTES)
        await inbox.aclose()
        await a.publish(TXS, b"nobody listens")
        await a.publish(VOTES, b"still delivered")
        with trio.fail_after(5):
            assert (await votes.receive()).data == b"still delivered"

    async def test_publish_over_limit_raises(self, factory: NodeFactory) -> None:
        (node,) = await factory.start_connected(1)
        with pytest.raises(MessageTooLargeError):
            await node.publish(TXS, b"x" * (Limits().max_gossip_bytes + 1))

    async def test_use_before_running_raises(self, factory: NodeFactory) -> None:
        node = factory.build(make_config(0), MemoryStore(CHAIN, GENESIS))
        with pytest.raises(NotRunningError):
            await node.subscribe(TXS, accept_all)
        with pytest.raises(NotRunningError):
            await node.publish(TXS, b"early")

    async def test_subscribe_twice_raises(self, factory: NodeFactory) -> None:
        (node,) = await factory.start_connected(1)
        await node.subscribe(TXS, accept_all)
        with pytest.raises(UnknownTopicError):
            await node.subscribe(TXS, accept_all)

    async def test_ignored_messages_do_not_score(self, factory: NodeFactory) -> None:
        a, b = await factory.start_connected(2)
        seen: list[bytes] = []

        def ignore(_peer: str, data: bytes) -> Verdict:
            seen.append(data)
            return Verdict.IGNORE

        await a.subscribe(TXS, accept_all)
        inbox = await b.subscribe(TXS, ignore)
        await wait_mesh([a, b], TXS)
        for i in range(3):
            await a.publish(TXS, b"future-%d" % i)
        await wait_until(lambda: len(seen) == 3)
        assert b.get_score(a.peer_id) == 0.0
        with pytest.raises(trio.WouldBlock):
            inbox.receive_nowait()

    async def test_rejected_messages_lower_score_then_ban(self, factory: NodeFactory) -> None:
        scoring = ScoreParams(reject_penalty=10.0, ban_threshold=-25.0, decay_per_s=0.0)
        a, _ = await factory.start(0)
        b, _ = await factory.start(1, scoring=scoring)
        await b.connect(a.listen_addrs()[0])
        await a.subscribe(TXS, accept_all)
        await b.subscribe(
            TXS, lambda _p, d: Verdict.REJECT if d.startswith(b"bad") else Verdict.ACCEPT
        )
        await wait_mesh([a, b], TXS)
        await a.publish(TXS, b"bad-1")
        await wait_until(lambda: b.get_score(a.peer_id) == -10.0)
        await a.publish(TXS, b"bad-2")
        await a.publish(TXS, b"bad-3")
        await wait_until(lambda: b.is_banned(a.peer_id))
        await wait_until(lambda: a.peer_id not in b.connected_peers())
        with pytest.raises(PeerBannedError):
            await b.connect(a.listen_addrs()[0])
        with pytest.raises(PeerBannedError):
            await b.fetch_status(a.peer_id)

    async def test_fetch_blob_by_hash(self, factory: NodeFactory) -> None:
        blob = bytes(range(256)) * 32768  # 8 MiB
        holder, store = await factory.start(0)
        blob_hash = store.add_blob(blob)
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        assert await client.fetch_blob(holder.peer_id, blob_hash, len(blob)) == blob
        with pytest.raises(NotFoundError):
            await client.fetch_blob(holder.peer_id, hashlib.sha256(b"none").digest(), 100)
        with pytest.raises(RemoteError):
            await client.fetch_blob(holder.peer_id, blob_hash, len(blob) - 1)
        with pytest.raises(InvalidRequestError):
            await client.fetch_blob(holder.peer_id, b"short", 100)
        assert client.get_score(holder.peer_id) == 0.0

    async def test_peer_metrics_score_peers_and_time_fetches(self, factory: NodeFactory) -> None:
        holder, store = await factory.start(0)
        blob_hash = store.add_blob(b"payload")
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        assert isinstance(client, PeerMetricsSource)  # /metrics is the same in simulations
        await client.fetch_blob(holder.peer_id, blob_hash, 100)
        with pytest.raises(NotFoundError):
            await client.fetch_blob(holder.peer_id, hashlib.sha256(b"none").digest(), 100)
        samples = client.get_peer_metrics()
        labels = {"peer": holder.peer_id, "protocol": ProtocolKind.BLOB.value}
        assert samples[get_sample_name("deltachain_peer_score", peer=holder.peer_id)] == 0.0
        assert samples[get_sample_name("deltachain_peer_fetches_total", **labels)] == 2
        failures = get_sample_name(
            "deltachain_peer_fetch_failures_total", error="NotFoundError", **labels
        )
        assert samples[failures] == 1
        assert samples["deltachain_peer_bans_total"] == 0

    async def test_fetch_blob_hash_mismatch_scores_peer(self, factory: NodeFactory) -> None:
        holder, store = await factory.start(0)
        claimed = hashlib.sha256(b"the real payload").digest()
        store.blobs[claimed] = b"something else"
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        with pytest.raises(HashMismatchError):
            await client.fetch_blob(holder.peer_id, claimed, 1000)
        penalty = ScoreParams().violation_penalty
        assert client.get_score(holder.peer_id) == pytest.approx(-penalty, abs=0.5)

    async def test_fetch_blocks_returns_prefix_of_range(self, factory: NodeFactory) -> None:
        holder, store = await factory.start(0)
        store.blocks.extend(b"block-%d" % h for h in range(1, 11))
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        assert await client.fetch_blocks(holder.peer_id, 3, 5) == [
            b"block-3",
            b"block-4",
            b"block-5",
        ]
        assert await client.fetch_blocks(holder.peer_id, 9, 50) == [b"block-9", b"block-10"]
        assert await client.fetch_blocks(holder.peer_id, 11, 20) == []
        with pytest.raises(InvalidRequestError):
            await client.fetch_blocks(holder.peer_id, 5, 4)

    async def test_fetch_blocks_caps_items_per_request(self, factory: NodeFactory) -> None:
        limits = Limits(max_blocks_per_request=4)
        holder, store = await factory.start(0, limits=limits)
        store.blocks.extend(b"b%d" % h for h in range(1, 11))
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        assert await client.fetch_blocks(holder.peer_id, 2, 10) == [b"b2", b"b3", b"b4", b"b5"]

    async def test_fetch_status(self, factory: NodeFactory) -> None:
        holder, store = await factory.start(0)
        store.blocks.extend([b"one", b"two"])
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        assert await client.fetch_status(holder.peer_id) == Status(CHAIN, GENESIS, 2)

    async def test_failing_provider_answers_error_and_node_lives(
        self, factory: NodeFactory
    ) -> None:
        def broken() -> Status:
            raise RuntimeError("provider bug")

        store = MemoryStore(CHAIN, GENESIS)
        store.get_status = broken  # type: ignore[method-assign]
        store.blocks.append(b"one")
        holder, _ = await factory.start(0, store=store)
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        with pytest.raises(RemoteError):
            await client.fetch_status(holder.peer_id)
        assert await client.fetch_blocks(holder.peer_id, 1, 1) == [b"one"]
        assert client.get_score(holder.peer_id) == 0.0

    async def test_bootstrap_peer_dialed_when_it_comes_up(self, factory: NodeFactory) -> None:
        changes, addr = factory.plan_address(0)
        target = factory.build(make_config(0, **changes), MemoryStore(CHAIN, GENESIS))
        dialer, _ = await factory.start(1, bootstrap_peers=(addr,))
        await trio.sleep(0.3)
        assert dialer.connected_peers() == frozenset()
        async with target:
            await wait_until(lambda: target.peer_id in dialer.connected_peers())
        await wait_until(lambda: target.peer_id not in dialer.connected_peers())

    async def test_disconnect(self, factory: NodeFactory) -> None:
        a, b = await factory.start_connected(2)
        assert a.connected_peers() == {b.peer_id}
        await a.disconnect(b.peer_id)
        await wait_until(lambda: not a.connected_peers() and not b.connected_peers())

    async def test_inbound_exchanges_capped_per_peer(self, factory: NodeFactory) -> None:
        limits = Limits(max_inbound_per_peer=2, io_timeout_s=0.5)
        holder, _ = await factory.start(0, limits=limits)
        client, _ = await factory.start(1)
        await client.connect(holder.listen_addrs()[0])
        silent = [
            await client._open_stream(holder.peer_id, ProtocolKind.STATUS)  # type: ignore[attr-defined]
            for _ in range(2)
        ]
        await trio.sleep(0.1)
        with pytest.raises(PeerUnavailableError):
            await client.fetch_status(holder.peer_id)
        await trio.sleep(0.8)  # the holder drops the silent streams after io_timeout_s
        assert (await client.fetch_status(holder.peer_id)).height == 0
        for stream in silent:
            await stream.reset()
