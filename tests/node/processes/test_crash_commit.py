"""A real single-validator node SIGKILLed again and again while it commits blocks (SQLite writes,
the consensus WAL, the signer state): each time it comes back, no block it reported final is
lost or changed, and its signer never goes back or signs different bytes at one position."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consensus.params import ChainParams
from node.chain.signer import load_last_signed
from node.errors import StorageError
from node.ops.launcher import Cluster, NodeProcess
from node.ops.testnet import TestnetOptions, create_testnet
from tests.node.processes.test_cluster_processes import free_port_base, height, wait_for

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]

KILLS = 5


@pytest.fixture
def single(tmp_path: Path) -> Iterator[Cluster]:
    options = TestnetOptions(
        validators=1,
        chain_id="crash-net",
        p2p_base_port=free_port_base(1),
        api_base_port=free_port_base(1),
        params=ChainParams(),
        training=False,
        seed=11,
    )
    running = Cluster.from_manifest(create_testnet(tmp_path / "net", options))
    running.start_all()
    try:
        running.wait_until_serving(90)
        yield running
    finally:
        running.stop_all()


def read_signer(node: NodeProcess) -> tuple[tuple[int, int, int], str, str] | None:
    path = node.home / "data" / "signer.json"
    if not path.exists():
        path = next(node.home.rglob("signer.json"), path)
    try:
        last = load_last_signed(path)
    except StorageError:  # read while the node rewrites it
        return None
    if last is None:
        return None
    return last.position, last.sign_bytes.hex(), last.signature.hex()


def is_past(node: NodeProcess, goal: int) -> bool:
    return height(node) >= goal


def final_hashes(node: NodeProcess, upto: int) -> dict[int, str]:
    hashes = {}
    for at in range(1, upto + 1):
        block = node.get(f"/blocks/{at}")
        assert block is not None, f"final block {at} is gone"
        hashes[at] = str(block["hash"])
    return hashes


def test_sigkill_while_committing_loses_no_final_block_and_never_signs_twice(
    single: Cluster,
) -> None:
    node = single.nodes[0]
    chooser = random.Random(7)
    reported: dict[int, str] = {}
    signed: dict[tuple[int, int, int], tuple[str, str]] = {}
    last_position = (0, 0, 0)
    for kill in range(KILLS):
        wait_for(functools.partial(is_past, node, height(node) + 3), 60, f"blocks, kill {kill}")
        top = height(node)
        reported.update(final_hashes(node, top))  # what the API called final before the crash
        time.sleep(chooser.uniform(0.0, 0.3))  # land somewhere in the middle of a commit
        single.kill(node)
        record = read_signer(node)
        assert record is not None, "the signer state file is readable after a SIGKILL"
        position, sign_bytes, signature = record
        assert position >= last_position, f"signer went back: {position} < {last_position}"
        assert signed.setdefault(position, (sign_bytes, signature)) == (sign_bytes, signature)
        last_position = position
        single.start(node)
        single.wait_until_serving(90)
        assert height(node) >= top, f"kill {kill}: restarted at {height(node)} below {top}"
        after = final_hashes(node, max(reported))
        changed = {h: (reported[h], after[h]) for h in reported if after[h] != reported[h]}
        assert not changed, f"kill {kill}: final blocks changed {changed}"
    wait_for(lambda: height(node) >= max(reported) + 3, 60, "blocks after the last restart")
