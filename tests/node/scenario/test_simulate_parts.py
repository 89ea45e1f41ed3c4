"""The parts of simulate mode: the same genesis as a real run, the schedule in virtual time,
the data-availability model and the proposer's mempool limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from consensus.ledger import process_transaction
from consensus.ledger.devnet import sign_transaction
from consensus.transactions import Transfer
from ml.attacks import little_is_enough
from ml.codec.delta import decode_delta
from ml.snapshot import compute_model_hash
from ml.types import Float32Array
from node.chain.mempool import MempoolError
from node.ops.genesis_file import load_genesis
from node.scenario.manifest import Action, Attack
from node.scenario.materialize import loopback_addressing, materialize
from node.scenario.parse import parse_manifest
from node.scenario.simulate.events import Control
from node.scenario.simulate.faults import (
    build_controls,
    build_marks,
    build_partitions,
    get_settled_ms,
)
from node.scenario.simulate.learning import Learning
from node.scenario.simulate.pool import NodePool
from node.scenario.simulate.trainer import compute_delta_payload, load_shard, make_trainers
from node.scenario.simulate.world import TASK_ID, build_world
from node.sim.verifier import CachingVerifier
from node.storage.layout import compute_genesis_hash

RAW: dict[str, Any] = {
    "name": "parts",
    "node": [
        {"name": "v", "count": 3},
        {"name": "late", "role": "full", "stake": 0, "start_at_s": 4},
    ],
    "perturbation": [
        {"at_s": 2, "node": "v1", "action": "pause", "duration_s": 1.5},
        {"at_s": 1, "node": "v2", "action": "kill", "duration_s": 3},
    ],
    "partition": [{"at_s": 5, "heal_at_s": 7.25, "groups": [["v0"], ["v2", "late"]]}],
}


def test_simulate_world_has_the_genesis_a_real_run_writes(tmp_path: Path) -> None:
    manifest = parse_manifest(RAW)
    layouts = materialize(manifest, tmp_path / "run", loopback_addressing(30000, 31000), seed=5)
    written = load_genesis(Path(layouts[0].home) / "genesis.cbor")
    world = build_world(manifest, 5)
    assert compute_genesis_hash(world.genesis) == compute_genesis_hash(written)
    assert [k.address.hex() for k in world.keys] == [layout.address for layout in layouts]
    task = world.chain.tasks[TASK_ID]
    assert task.model_hash == compute_model_hash(world.initial_weights)


def test_simulate_schedule_in_virtual_milliseconds() -> None:
    manifest = parse_manifest(RAW)
    (partition,) = build_partitions(manifest)
    assert (partition.start_ms, partition.end_ms) == (5_000, 7_250)
    assert partition.groups == ((0,), (2, 3))
    controls = build_controls(manifest)
    assert [t for t, _ in controls] == sorted(t for t, _ in controls)
    assert (1_000, Control(Action.KILL, 2, True)) in controls
    assert (4_000, Control(Action.KILL, 2, False)) in controls
    assert (3_500, Control(Action.PAUSE, 1, False)) in controls
    assert (4_000, Control(None, 3, True)) in controls  # the late node's first start
    assert get_settled_ms(manifest) == 7_250 + 5_000
    phases = [(m.t_s, m.action, m.phase) for m in build_marks(manifest)]
    assert phases[0] == (1.0, "kill", "start")
    assert (7.25, "partition", "end") in phases


def test_simulate_withheld_payload_is_available_to_its_owner_only() -> None:
    world = build_world(parse_manifest(RAW), 1)
    learning = Learning("mlp-digits", world.initial_weights)
    open_hash = learning.put_payload(b"open payload", owner=0, withheld=False)
    held_hash = learning.put_payload(b"held payload", owner=1, withheld=True)
    assert learning.is_available(open_hash, 2)
    assert learning.is_available(held_hash, 1)
    assert not learning.is_available(held_hash, 0)
    assert not learning.is_available(bytes(32), 0)


def test_simulate_pool_refuses_invalid_and_reaps_in_nonce_order() -> None:
    world = build_world(parse_manifest(RAW), 1)
    pool = NodePool(world.chain, CachingVerifier())
    key, chain = world.keys[0], world.chain
    txs = [
        sign_transaction(key, chain.chain_id, n, Transfer(world.keys[1].address, 5))
        for n in range(3)
    ]
    for stx in txs:
        pool.submit(stx)
    assert pool.pick(chain) == tuple(txs)
    assert pool.get_pending_local() == txs
    gap = sign_transaction(key, chain.chain_id, 7, Transfer(world.keys[1].address, 5))
    with pytest.raises(MempoolError, match="nonce"):
        pool.submit(gap)
    included = process_transaction(chain, txs[0])
    pool.mempool.update(included, [txs[0].hash])  # the others wait on
    assert pool.get_pending_local() == txs[1:]
    pool.reset(chain)
    assert pool.pick(chain) == () and pool.get_pending_local() == []


def test_simulate_attacks_transform_the_trained_delta_like_the_node_trainer() -> None:
    manifest = parse_manifest({"name": "attacks", "node": [{"name": "v", "count": 4}]})
    world = build_world(manifest, 3)
    learning = Learning(manifest.task.model, world.initial_weights)
    model_hash = compute_model_hash(world.initial_weights)
    honest = make_trainers(world)[0]

    def delta(attack: Attack) -> Float32Array:
        trainer = replace(honest, spec=replace(honest.spec, attack=attack))
        return decode_delta(compute_delta_payload(trainer, 0, model_hash, learning).payload).values

    plain = delta(Attack.NONE)
    assert np.array_equal(delta(Attack.SIGN_FLIP), -plain)
    assert np.allclose(delta(Attack.SCALED), 10.0 * plain, rtol=1e-6)
    assert np.array_equal(delta(Attack.ALIE), plain)  # nothing accepted yet: its honest delta
    rows = (plain, 0.5 * plain, 2.0 * plain)
    learning.accepted_by_model[model_hash] = rows
    expected = little_is_enough(np.stack(rows), 4, 1)
    assert np.array_equal(delta(Attack.ALIE), expected)
    flipped = load_shard(honest.config, Attack.LABEL_FLIP)
    assert np.array_equal(flipped.y, 9 - honest.shard.y)
