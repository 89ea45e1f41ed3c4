"""The block list (``set_blocked``): one contract, run on MemoryNetwork and Libp2pNetwork."""

import contextlib
import itertools

import pytest
import trio
import trio.testing

from node.network.config import RedialParams
from node.network.errors import PeerBlockedError, PeerUnavailableError
from node.network.port import NetworkPort
from node.network.redial import maintain_peer
from node.network.values import BlockList, TopicKind, Verdict, get_topic_name
from tests.node.network.conftest import CHAIN, NodeFactory, wait_until

TXS = get_topic_name(CHAIN, TopicKind.TXS)


def accept_all(_peer: str, _data: bytes) -> Verdict:
    return Verdict.ACCEPT


async def try_connect(dialer: NetworkPort, target: NetworkPort) -> None:
    """Dial; a refusing target either fails the dial or closes the connection at once."""
    with contextlib.suppress(PeerUnavailableError):
        await dialer.connect(target.listen_addrs()[0])


async def assert_apart(a: NetworkPort, b: NetworkPort, hold_s: float = 0.5) -> None:
    """``a`` and ``b`` lose their link, and after ``hold_s`` they are still apart.

    A refused libp2p dial is accepted and closed within ~0.1 s (py-libp2p's own stream
    retries redial a few times), so the link may flicker; it must not stay up.
    """
    await wait_until(lambda: b.peer_id not in a.connected_peers())
    await wait_until(lambda: a.peer_id not in b.connected_peers())
    await trio.sleep(hold_s)
    await wait_until(lambda: b.peer_id not in a.connected_peers(), timeout_s=1.0)
    await wait_until(lambda: a.peer_id not in b.connected_peers(), timeout_s=1.0)


class TestBlockingContract:
    async def test_blocking_a_peer_closes_and_refuses_it(self, factory: NodeFactory) -> None:
        a, b, c = await factory.start_connected(3)
        assert a.get_blocked() == BlockList()
        a.set_blocked(frozenset({b.peer_id}), block_all=False)
        assert a.get_blocked() == BlockList(frozenset({b.peer_id}), False)
        await assert_apart(a, b, hold_s=0.0)
        with pytest.raises(PeerBlockedError):
            await a.connect(b.listen_addrs()[0])
        with pytest.raises(PeerBlockedError):
            await a.fetch_status(b.peer_id)
        await try_connect(b, a)
        await assert_apart(a, b)
        with pytest.raises(PeerUnavailableError), trio.fail_after(5):
            await b.fetch_status(a.peer_id)
        await wait_until(lambda: a.connected_peers() == {c.peer_id})  # b's dial is closed
        assert (await a.fetch_status(c.peer_id)).chain_id == CHAIN

    async def test_blocked_peer_gets_no_gossip_until_cleared(self, factory: NodeFactory) -> None:
        a, _ = await factory.start(0)
        b, _ = await factory.start(1, bootstrap_peers=(a.listen_addrs()[0],))
        await wait_until(lambda: a.peer_id in b.connected_peers())
        await a.subscribe(TXS, accept_all)
        inbox = await b.subscribe(TXS, accept_all)
        await wait_until(lambda: bool(a.topic_peers(TXS)) and bool(b.topic_peers(TXS)))
        b.set_blocked(frozenset({a.peer_id}), block_all=False)
        await assert_apart(a, b)
        await a.publish(TXS, b"while blocked")
        await trio.sleep(0.3)
        with pytest.raises(trio.WouldBlock):
            inbox.receive_nowait()
        b.set_blocked(frozenset(), block_all=False)
        with trio.fail_after(2):  # the redial loop notices within redial.check_s
            while a.peer_id not in b.connected_peers():
                await trio.sleep(0.01)
        await wait_until(lambda: bool(a.topic_peers(TXS)) and bool(b.topic_peers(TXS)))
        await a.publish(TXS, b"after heal")
        with trio.fail_after(5):  # gossipsub may first replay "while blocked" from its cache
            while (await inbox.receive()).data != b"after heal":
                pass

    async def test_block_all_isolates_then_clearing_reconnects(self, factory: NodeFactory) -> None:
        """A cut node blocks everyone and everyone blocks it (how a runner disconnects a
        node: one-sided, py-libp2p's own stream retries keep re-opening links it closes)."""
        hub, _ = await factory.start(0)
        addr = hub.listen_addrs()[0]
        b, _ = await factory.start(1, bootstrap_peers=(addr,))
        c, _ = await factory.start(2, bootstrap_peers=(addr,))
        await wait_until(lambda: hub.connected_peers() == {b.peer_id, c.peer_id})
        hub.set_blocked(frozenset(), block_all=True)
        for other in (b, c):
            other.set_blocked(frozenset({hub.peer_id}), block_all=False)
        assert hub.get_blocked().is_blocked(b.peer_id)
        await assert_apart(hub, b)
        await assert_apart(hub, c, hold_s=0.0)
        with pytest.raises(PeerBlockedError):
            await hub.fetch_status(c.peer_id)
        for node in (hub, b, c):
            node.set_blocked(frozenset(), block_all=False)
        with trio.fail_after(2):  # b and c redial within redial.check_s
            while hub.connected_peers() != {b.peer_id, c.peer_id}:
                await trio.sleep(0.01)
        assert (await b.fetch_status(hub.peer_id)).chain_id == CHAIN


async def test_redial_skips_a_refused_peer_and_resumes_once_allowed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    addr = "/memory/p2p/12D3KooWpeer"
    params = RedialParams(initial_s=0.25, factor=2.0, max_s=10.0, check_s=0.5)
    dials: list[float] = []
    refused = True

    async def dial(_addr: str) -> str:
        dials.append(trio.current_time())
        raise PeerUnavailableError("down")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(maintain_peer, addr, dial, lambda _p: False, lambda _p: refused, params)
        await trio.sleep(60)
        assert dials == []  # a refused (blocked or banned) peer is never dialed
        refused = False
        allowed_at = trio.current_time()
        await trio.sleep(params.check_s + 0.01)
        assert dials and dials[0] - allowed_at <= params.check_s
        nursery.cancel_scope.cancel()


async def test_redial_backs_off_from_a_peer_that_drops_every_link(
    autojump_clock: trio.testing.MockClock,
) -> None:
    params = RedialParams(initial_s=0.25, factor=2.0, max_s=4.0, check_s=0.5)
    dials: list[float] = []

    async def dial(_addr: str) -> str:  # the dial works, the peer closes the link at once
        dials.append(trio.current_time())
        return "12D3KooWpeer"

    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            maintain_peer, "/memory/p2p/12D3KooWpeer", dial, lambda _p: False,
            lambda _p: False, params,
        )  # fmt: skip
        await trio.sleep(60)
        nursery.cancel_scope.cancel()
    gaps = [later - earlier for earlier, later in itertools.pairwise(dials)]
    assert gaps[:4] == pytest.approx([0.75, 1.0, 1.5, 2.5])  # check_s + growing backoff
    assert len(dials) < 20 and max(gaps) == pytest.approx(params.check_s + params.max_s)
