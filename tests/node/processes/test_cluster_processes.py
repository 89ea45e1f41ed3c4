"""Real node processes on loopback (libp2p, HTTP API, training workers): they finalize and learn,
a SIGKILLed validator restarts without double signing and catches up, a new node joins, syncs,
bonds, registers and is elected at the next epoch."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from consensus.crypto import KeyPair
from consensus.ledger.devnet import sign_transaction
from consensus.params import ChainParams
from consensus.transactions import Bond, RegisterCandidate, Transfer, TxBody, VoteCandidates
from consensus.validators import Validator, ValidatorSet, get_proposer
from node.api.errors import UnprocessableError
from node.network.peer_id import compute_peer_id
from node.ops.keys import load_key_file
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TaskOptions, TestnetOptions, create_testnet

pytestmark = pytest.mark.multiprocess


def free_port_base(count: int) -> int:
    """A base port with ``count`` consecutive ports free right now, below the ephemeral range:
    a port the kernel can hand out as a connection's source port may be taken while a killed
    node is down, and the node could not listen again when it restarts."""
    chooser = random.Random()
    for _ in range(200):
        base = chooser.randrange(20_000, 32_000 - count)
        if all(_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free port range")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def height(node: NodeProcess) -> int:
    status = node.get("/status")
    return int(status["height"]) if status else -1


def model_version(node: NodeProcess) -> int:
    task = node.get("/tasks/1")
    return int(task["version"]) if task else -1


def block_hash(node: NodeProcess, at: int) -> str | None:
    block = node.get(f"/blocks/{at}")
    return None if block is None else str(block["hash"])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    params = ChainParams(epoch_length=10)
    options = TestnetOptions(
        validators=4,
        chain_id="proc-net",
        p2p_base_port=free_port_base(5),
        api_base_port=free_port_base(5),
        params=params,
        task=TaskOptions(model_id="logreg-digits"),
        seed=5,
    )
    manifest = create_testnet(tmp_path / "net", options)
    running = Cluster.from_manifest(manifest)
    running.start_all()
    try:
        running.wait_until_serving(90)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(autouse=True)
def node_logs_on_failure(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[None]:
    """Print the tail of every node's log when a test fails (pytest shows it with the failure)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for node in cluster.nodes:
        log = node.home / "node.log"
        tail = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
        print(f"---- {node.name} {log}", *tail, sep="\n")


def test_processes_finalize_learn_and_survive_kill_restart(cluster: Cluster) -> None:
    nodes = cluster.nodes
    wait_for(lambda: min(height(n) for n in nodes) >= 5, 90, "height 5 on every node")
    wait_for(
        lambda: all((n.get("/tasks/1") or {}).get("version", 0) >= 1 for n in nodes),
        120,
        "model version 1 on every node",
    )
    kill_and_restart(cluster, nodes[1])
    kill_and_restart(cluster, next_proposer(cluster))
    candidates = (nodes[0].get("/candidates") or {})["candidates"]
    assert not any(c["tombstoned"] for c in candidates), "an honest restart was slashed"
    models = [(n.get("/tasks/1") or {}) for n in nodes]
    common = min(m["version"] for m in models)
    hashes = {
        next(r["model_hash"] for r in n.get("/tasks/1/models")["models"] if r["version"] == common)  # type: ignore[index]
        for n in nodes
    }
    assert len(hashes) == 1


def kill_and_restart(cluster: Cluster, victim: NodeProcess) -> None:
    """SIGKILL ``victim``, let the others move on, restart it: it catches up, loses nothing."""
    before = height(victim)
    cluster.kill(victim)
    others = [n for n in cluster.nodes if n is not victim]
    wait_for(
        lambda: min(height(n) for n in others) >= before + 5, 90, f"progress w/o {victim.name}"
    )
    cluster.start(victim)
    target = max(height(n) for n in others)
    wait_for(lambda: height(victim) >= target, 120, f"{victim.name} catching up")
    for at in range(1, target + 1):
        assert block_hash(victim, at) == block_hash(others[0], at), f"height {at} differs"


def next_proposer(cluster: Cluster) -> NodeProcess:
    """The node that proposes round 0 of the next height (weighted round-robin)."""
    reply = cluster.nodes[0].get("/validators") or {}
    members = tuple(
        Validator(bytes.fromhex(v["address"]), int(v["power"]), int(v["proposer_priority"]))
        for v in reply["validators"]
    )
    proposer = get_proposer(ValidatorSet(members), 0).hex()
    by_address = {load_key_file(n.home / "node_key.json").address.hex(): n for n in cluster.nodes}
    return by_address[proposer]


def test_processes_new_node_joins_syncs_and_is_elected(cluster: Cluster, tmp_path: Path) -> None:
    nodes = cluster.nodes
    wait_for(lambda: min(height(n) for n in nodes) >= 3, 90, "height 3")
    home = tmp_path / "joiner"
    seed0 = load_key_file(nodes[0].home / "node_key.json")
    bootstrap = f"/ip4/127.0.0.1/tcp/{_p2p_port(nodes[0])}/p2p/{compute_peer_id(seed0.seed)}"
    ports = free_port_base(2)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "node.cli.main",
            "init",
            "--home",
            str(home),
            "--moniker",
            "joiner",
            "--genesis",
            str(nodes[0].home / "genesis.cbor"),
            "--p2p-port",
            str(ports),
            "--api-port",
            str(ports + 1),
            "--bootstrap",
            bootstrap,
        ],
        check=True,
        capture_output=True,
    )
    # The joiner does not train: its key then signs only this test's transactions (a trainer
    # signing deltas with the same key races them for nonces; see the closing note).
    config = home / "config.toml"
    config.write_text(config.read_text().replace("enabled = true", "enabled = false"))
    joiner = NodeProcess("joiner", home, f"http://127.0.0.1:{ports + 1}")
    cluster.nodes.append(joiner)
    cluster.start(joiner)
    cluster.wait_until_serving(90)
    target = height(nodes[0])
    wait_for(lambda: height(joiner) >= target, 120, "the joiner syncing")
    assert block_hash(joiner, target) == block_hash(nodes[0], target)

    key = load_key_file(home / "node_key.json")
    funder = load_key_file(nodes[0].home / "node_key.json")
    submit_with_fresh_nonce(nodes[0], funder, Transfer(key.address, 5_000_000))
    wait_for(
        lambda: int((joiner.get(f"/accounts/{key.address.hex()}") or {}).get("balance", 0)) > 0,
        60,
        "funds for the joiner",
    )
    for body in (Bond(3_000_000), RegisterCandidate("joiner"), VoteCandidates((key.address,))):
        submit_with_fresh_nonce(joiner, key, body)

    def is_candidate() -> bool:
        candidates = (joiner.get("/candidates") or {}).get("candidates", [])
        return any(c["address"] == key.address.hex() and c["backing"] > 0 for c in candidates)

    wait_for(is_candidate, 120, "the joiner registered and backed")

    def is_elected() -> bool:
        validators = (joiner.get("/validators") or {}).get("validators", [])
        return key.address.hex() in {v["address"] for v in validators}

    wait_for(is_elected, 90, "the joiner elected at the next epoch")
    elected_at = height(joiner)
    wait_for(lambda: height(joiner) >= elected_at + 3, 60, "progress with the joiner as validator")


def submit_with_fresh_nonce(node: NodeProcess, key: KeyPair, body: TxBody) -> None:
    """Sign with the account's next nonce; the node's own trainer may take a nonce between our
    read and our submit (it signs deltas with the same key), so retry on that race."""
    for _ in range(5):
        nonce = int(node.get(f"/accounts/{key.address.hex()}")["next_nonce"])  # type: ignore[index]
        try:
            node.client().submit_tx(sign_transaction(key, "proc-net", nonce, body))
        except UnprocessableError as exc:
            if "nonce" not in str(exc):
                raise
            time.sleep(0.2)
            continue
        return
    raise AssertionError("could not get a nonce through")


def _p2p_port(node: NodeProcess) -> int:
    text = (node.home / "config.toml").read_text()
    listen = next(line for line in text.splitlines() if line.startswith("listen"))
    return int(listen.rsplit("/", 1)[1].rstrip('"'))
