"""Real node processes on loopback: gossip, blob fetch, sync, kill -9, a hostile peer."""

import hashlib
from collections.abc import Callable

import pytest
import trio

from node.network.devnode import make_blob
from node.network.devnode_control import (
    DevNode,
    DevNodes,
    Event,
    get_free_port,
    open_devnodes,
    plan_addresses,
)
from node.network.peer_id import compute_peer_id
from node.network.values import TopicKind, compute_blob_hash, get_topic_name

pytestmark = pytest.mark.multiprocess
CHAIN = "devnet"
TXS = get_topic_name(CHAIN, TopicKind.TXS)
EIGHT_MB = 8 * 1024 * 1024
HEARTBEAT_S = 1.0


def is_gossip_from(origin: str) -> Callable[[Event], bool]:
    return lambda e: e["event"] == "gossip" and e["origin"] == origin


def round_done(index: int) -> Callable[[Event], bool]:
    return lambda e: e["event"] == "round" and e["index"] == index


async def wait_peers(node: DevNode, count: int, timeout_s: float = 15.0) -> list[str]:
    with trio.fail_after(timeout_s):
        while True:
            peers: list[str] = (await node.request("status", "status"))["peers"]
            if len(peers) >= count:
                return peers
            await trio.sleep(0.1)


async def start_ring(nodes: DevNodes, count: int) -> list[DevNode]:
    """``count`` nodes started at once, each bootstrapping to the next two (a ring)."""
    addrs = plan_addresses(list(range(count)), [get_free_port() for _ in range(count)])
    argvs = []
    for index in range(count):
        peers = [addrs[(index + step) % count] for step in (1, 2)]
        listen = addrs[index].rsplit("/p2p/", 1)[0]
        argv = ["--seed-index", str(index), "--listen", listen]
        argvs.append(argv + [arg for peer in peers for arg in ("--peer", peer)])
    return await nodes.start_many(argvs)


async def test_gossip_between_five_processes() -> None:
    async with open_devnodes() as nodes:
        started = await start_ring(nodes, 5)
        for node in started:
            await wait_peers(node, 2)
        await trio.sleep(HEARTBEAT_S * 1.5)  # a heartbeat grafts the mesh
        for sender in started:
            await sender.send(op="publish", topic=TXS, size=200)
        for receiver in started:
            for sender in started:
                if sender is not receiver:
                    await receiver.expect(is_gossip_from(sender.peer_id), timeout_s=10)


async def test_blob_fetch_8mb_and_block_range_sync() -> None:
    async with open_devnodes() as nodes:
        holder, fetcher = await nodes.start_many(
            [
                ["--seed-index", "0", "--blocks", "300", "--blob-size", str(EIGHT_MB)],
                ["--seed-index", "1"],
            ]
        )
        await fetcher.request("connect", "connected", addr=holder.addr)
        blob_hash = compute_blob_hash(make_blob(EIGHT_MB)).hex()
        fetched = await fetcher.request(
            "fetch_blob", "fetched", peer=holder.peer_id, hash=blob_hash, max=EIGHT_MB
        )
        assert fetched["bytes"] == EIGHT_MB
        synced = await fetcher.request("sync", "synced", peer=holder.peer_id)
        assert synced["height"] == 300


async def test_kill9_restarted_peer_rejoins_and_catches_up() -> None:
    restart_addr, holder_addr = plan_addresses([1, 0], [get_free_port(), get_free_port()])
    restarting = ["--seed-index", "1", "--listen", restart_addr.rsplit("/p2p/", 1)[0]]
    holder_args = ["--seed-index", "0", "--listen", holder_addr.rsplit("/p2p/", 1)[0]]
    async with open_devnodes() as nodes:
        first, holder = await nodes.start_many(
            [restarting, [*holder_args, "--blocks", "40", "--peer", restart_addr]]
        )
        await wait_peers(holder, 1)
        fds_before = (await holder.request("status", "status"))["fds"]
        first.kill()
        await first.process.wait()
        second = await nodes.start(*restarting)
        assert second.peer_id == first.peer_id
        await wait_peers(second, 1)  # the holder redials it (bootstrap + backoff)
        assert (await second.request("sync", "synced", peer=holder.peer_id))["height"] == 40
        await trio.sleep(HEARTBEAT_S * 1.5)
        await holder.send(op="publish", topic=TXS, size=100)
        await second.expect(is_gossip_from(holder.peer_id), timeout_s=10)
        fds_after = (await holder.request("status", "status"))["fds"]
        assert fds_after <= fds_before + 1


async def test_hostile_peer_process_is_scored_and_victim_stays_up() -> None:
    attacker_id = compute_peer_id(hashlib.sha256(b"attacker-0").digest())
    async with open_devnodes() as nodes:
        victim = await nodes.start("--seed-index", "0", "--blocks", "5")
        attacker = await nodes.spawn(
            "node.network.attacker", "--target", victim.addr, "--topic", TXS, "--rounds", "3"
        )
        for index in range(3):
            await attacker.expect(round_done(index))
        with trio.fail_after(10):
            await attacker.process.wait()
        status = await victim.request("status", "status", score_peers=[attacker_id])
        assert attacker_id in status["banned"]
        assert attacker_id not in status["peers"]
        helper = await nodes.start("--seed-index", "2", "--peer", victim.addr)
        await wait_peers(helper, 1)
        assert (await helper.request("sync", "synced", peer=victim.peer_id))["height"] == 5


@pytest.mark.slow
async def test_gossip_between_ten_processes_repeated_publishes() -> None:
    async with open_devnodes() as nodes:
        started = await start_ring(nodes, 10)
        for node in started:
            await wait_peers(node, 2, timeout_s=60)
        await trio.sleep(HEARTBEAT_S * 3)
        for _ in range(5):
            for sender in started:
                await sender.send(op="publish", topic=TXS, size=300)
                await trio.sleep(0.1)
        for receiver in started:
            for sender in started:
                if sender is not receiver:
                    for _ in range(5):
                        await receiver.expect(is_gossip_from(sender.peer_id), timeout_s=30)
