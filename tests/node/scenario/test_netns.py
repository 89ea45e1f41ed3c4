"""Real namespaces: reach, partition, heal, disconnect, cleanup, API reach from the root ns."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import trio

from node.network.devnode import make_seed
from node.network.devnode_control import DevNode
from node.network.peer_id import compute_peer_id
from node.network.values import TopicKind, get_topic_name
from node.scenario.netns import NetnsError, NetnsLab, remove_stale_labs
from node.scenario.netns_plan import (
    MARKER_DIR,
    compute_dropped,
    compute_groups,
    make_plan,
    run_command,
)

PORT = 7000
P2P_PORT = 7001
TXS = get_topic_name("devnet", TopicKind.TXS)
SERVER = (
    "import socket,sys\n"
    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(16); print('ready', flush=True)\n"
    "while True:\n"
    "    c,_=s.accept(); c.sendall(b'pong'); c.close()\n"
)
CLIENT = (
    "import socket,sys\n"
    "c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5)\n"
    "assert c.recv(4) == b'pong'\n"
)
_ids = itertools.count()


def new_run_id() -> str:
    return f"t{os.getpid() % 100000}{next(_ids)}"[:8]


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    with NetnsLab(new_run_id(), 3) as made:
        servers = [start_server(made, i) for i in range(3)]
        yield made
        for server in servers:
            server.kill()
            server.wait()
            if server.stdout is not None:
                server.stdout.close()


def start_server(lab: NetnsLab, i: int) -> subprocess.Popen[str]:
    cmd = [*lab.command_prefix(i), sys.executable, "-c", SERVER, str(PORT)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server


def reaches(lab: NetnsLab, src: int, dst: int) -> bool:
    cmd = [*lab.command_prefix(src), sys.executable, "-c", CLIENT, lab.ip_of(dst), str(PORT)]
    return subprocess.run(cmd, capture_output=True, timeout=10, check=False).returncode == 0


def reaches_from_root(lab: NetnsLab, dst: int) -> bool:
    try:
        with socket.create_connection((lab.ip_of(dst), PORT), timeout=0.5) as conn:
            return conn.recv(4) == b"pong"
    except OSError:
        return False


def test_netns_nodes_reach_each_other_and_partition_drops(lab: NetnsLab) -> None:
    assert reaches(lab, 0, 1) and reaches(lab, 1, 2)
    lab.partition([[0], [1]])  # node 2 is in no group: a third group
    assert not reaches(lab, 0, 1) and not reaches(lab, 1, 2) and not reaches(lab, 2, 0)
    assert all(reaches_from_root(lab, i) for i in range(3))  # the runner still sees every API
    lab.partition([[0, 1]])
    assert reaches(lab, 0, 1) and not reaches(lab, 0, 2)
    lab.heal()
    assert reaches(lab, 0, 2) and reaches(lab, 2, 1)


def test_netns_disconnect_and_reconnect(lab: NetnsLab) -> None:
    lab.disconnect(1)
    assert not reaches(lab, 0, 1) and not reaches(lab, 1, 2)
    assert reaches(lab, 0, 2) and reaches_from_root(lab, 1)
    lab.heal()  # a heal leaves a disconnected node cut
    assert not reaches(lab, 2, 1)
    lab.reconnect(1)
    assert reaches(lab, 0, 1) and reaches(lab, 1, 2)


def test_netns_close_leaves_nothing_behind() -> None:
    lab = NetnsLab(new_run_id(), 2)
    with lab:
        names = lab.plan.namespaces
        addrs = run_command([*lab.command_prefix(0), "ip", "-o", "addr", "show", "dev", "eth0"])
        assert f"inet {lab.ip_of(0)}/24" in addrs and "inet6" not in addrs  # no IPv6 bypass
        assert set(names) <= set(run_command(["ip", "netns", "list"]).split())
    listed = run_command(["ip", "netns", "list"]).split()
    assert not set(names) & set(listed)
    assert lab.plan.root_link not in run_command(["ip", "-o", "link", "show"])
    assert not (MARKER_DIR / f"{lab.plan.run_id}.json").exists()
    lab.close()  # twice is fine


def test_netns_stale_lab_of_a_dead_process_is_removed() -> None:
    run_id = new_run_id()
    code = (
        "import os; from node.scenario.netns import NetnsLab\n"
        f"NetnsLab({run_id!r}, 1).__enter__(); os._exit(0)\n"  # crash: no close
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30, cwd=os.getcwd())
    plan = make_plan(run_id, 1)
    assert plan.namespace(0) in run_command(["ip", "netns", "list"])
    assert run_id in remove_stale_labs()
    assert plan.namespace(0) not in run_command(["ip", "netns", "list"])
    assert plan.root_link not in run_command(["ip", "-o", "link", "show"])


def test_netns_groups_and_drops_are_computed_per_node() -> None:
    owner = compute_groups(4, [[0, 1], [2]])
    assert owner == [0, 0, 1, 2]
    assert compute_dropped(owner, frozenset(), 0) == [2, 3]
    assert compute_dropped([0, 0, 0], frozenset({1}), 0) == [1]
    assert compute_dropped([0, 0, 0], frozenset({1}), 1) == [0, 2]
    for bad in ([[0], [0]], [[5]]):
        with pytest.raises(NetnsError):
            compute_groups(4, bad)
    for run_id, size in (("Bad!", 2), ("toolongrunid", 2), ("ok", 0), ("ok", 251)):
        with pytest.raises(NetnsError):
            make_plan(run_id, size)
    plan = make_plan("abc", 3)
    taken = make_plan("abc", 3, frozenset({plan.subnet}))
    assert taken.subnet != plan.subnet and plan.ip_of(2).endswith(".3")


async def start_devnode(lab: NetnsLab, i: int, peers: list[str]) -> DevNode:
    """A libp2p dev node process in namespace ``i``, listening on ``ip_of(i)``."""
    argv = [*lab.command_prefix(i), sys.executable, "-m", "node.network.devnode"]
    argv += ["--seed-index", str(i), "--listen", f"/ip4/{lab.ip_of(i)}/tcp/{P2P_PORT}"]
    argv += [arg for peer in peers for arg in ("--peer", peer)]
    process = await trio.lowlevel.open_process(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    node = DevNode(process, argv)
    ready = await node.expect(lambda e: e["event"] == "ready", 30.0)
    node.peer_id, node.addr = ready["peer_id"], ready["addrs"][0]
    return node


async def drain(node: DevNode, wait_s: float) -> None:
    """Read whatever the node reports for ``wait_s``, then forget it."""
    with contextlib.suppress(trio.TooSlowError):
        await node.expect(lambda _e: False, wait_s)
    node.events.clear()


async def gossip_arrives(sender: DevNode, receiver: DevNode, timeout_s: float) -> bool:
    """Publish from ``sender`` every 0.25 s until ``receiver`` reports one (False at timeout)."""
    await drain(receiver, 0.05)
    origin = sender.peer_id
    deadline = trio.current_time() + timeout_s
    while trio.current_time() < deadline:
        await sender.send(op="publish", topic=TXS, size=100)
        try:
            await receiver.expect(lambda e: e["event"] == "gossip" and e["origin"] == origin, 0.25)
        except trio.TooSlowError:
            continue
        return True
    return False


@pytest.mark.multiprocess
async def test_netns_libp2p_gossip_is_cut_by_a_partition_and_flows_after_heal() -> None:
    with NetnsLab(new_run_id(), 3) as lab:
        addrs = [
            f"/ip4/{lab.ip_of(i)}/tcp/{P2P_PORT}/p2p/{compute_peer_id(make_seed(i))}"
            for i in range(3)
        ]
        nodes: list[DevNode] = []
        try:
            for i in range(3):
                nodes.append(await start_devnode(lab, i, addrs[:i]))
            a, b, c = nodes
            assert await gossip_arrives(a, b, 20) and await gossip_arrives(a, c, 5)
            lab.partition([[0], [1, 2]])
            await drain(b, 1.0)  # what was in flight before the cut lands first
            await drain(c, 0.1)
            assert not await gossip_arrives(a, b, 2) and not await gossip_arrives(a, c, 0.5)
            assert await gossip_arrives(b, c, 5)
            lab.heal()
            assert await gossip_arrives(a, b, 15) and await gossip_arrives(a, c, 15)
        finally:
            for node in nodes:
                node.kill()
                await node.process.wait()
