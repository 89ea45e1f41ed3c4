"""Simulate mode counts accepted deltas the way the ledger pays them: one count per accepted
delta, so a sender with two deltas in one aggregation is counted twice (and paid twice)."""

from __future__ import annotations

from dataclasses import replace

from consensus.state import PendingDelta
from node.scenario.parse import parse_manifest
from node.scenario.simulate import simulate_manifest
from node.scenario.simulate.learning import Learning
from node.scenario.simulate.trainer import compute_delta_payload, make_trainers
from node.scenario.simulate.world import TASK_ID, build_world
from tests.node.scenario.simulate_support import load_shipped


def test_simulate_outcome_counts_every_accepted_delta_of_a_sender() -> None:
    manifest = parse_manifest({"name": "counts", "node": [{"name": "v", "count": 4}]})
    world = build_world(manifest, 2)
    learning = Learning(manifest.task.model, world.initial_weights)
    task = world.chain.tasks[TASK_ID]
    trainers = make_trainers(world)
    senders = [world.keys[0].address, world.keys[0].address, world.keys[1].address]
    pending = []
    chosen = (trainers[0], trainers[2], trainers[1])
    for i, (trainer, sender) in enumerate(zip(chosen, senders, strict=True)):
        made = compute_delta_payload(trainer, 0, task.model_hash, learning)
        payload_hash = learning.put_payload(made.payload, owner=i, withheld=False)
        pending.append(
            PendingDelta(bytes([i + 1]) * 32, sender, 0, payload_hash, len(made.payload),
                         made.num_samples)
        )  # fmt: skip
    outcome = learning.aggregate(replace(task, pending=tuple(pending)))
    assert len(outcome.result.accepted_tx_hashes) == 3
    assert outcome.accepted_by_sender == {senders[0]: 2, senders[2]: 1}
    per_delta = task.spec.reward_per_delta
    assert outcome.rewards == {senders[0]: 2 * per_delta, senders[2]: per_delta}


def test_simulate_baseline_accepted_counts_agree_with_rewards() -> None:
    """The full baseline-4 (seed 1) has one aggregation that took two deltas of v3."""
    manifest = load_shipped("baseline-4")
    report = simulate_manifest(manifest, 1)
    task = build_world(manifest, 1).chain.tasks[TASK_ID]
    per_delta = task.spec.reward_per_delta
    assert per_delta > 0 and sum(n.delta_rewards for n in report.nodes) < task.pool
    for node in report.nodes:
        assert node.delta_rewards == node.accepted_deltas * per_delta, node.name
    versions = max(v.version for v in report.versions)
    assert sum(n.accepted_deltas for n in report.nodes) >= versions * task.spec.min_deltas
