"""The end of a run: node observations from replies, start holdings, summary figures."""

from __future__ import annotations

from typing import Any

from consensus.crypto import KeyPair
from consensus.genesis import GenesisTask
from node.ops.testnet import TaskOptions, TestnetOptions, build_task
from node.scenario.collect import (
    ChainFacts,
    NodeEnd,
    compute_figures,
    compute_start_holdings,
    fetch_chain_facts,
    observe_node,
)
from node.scenario.materialize import build_genesis, node_seed
from node.scenario.observe import AccountRow, BlockRow, StatusRow
from node.scenario.parse import parse_manifest
from node.scenario.report import NodeObservation, VersionPoint
from node.scenario.tracking import BlockLog

MANIFEST = parse_manifest(
    {
        "name": "t",
        "checks": {"target_accuracy": 0.8},
        "node": [{"name": "v", "count": 3}, {"name": "bad", "byzantine": "double_signer"}],
    }
)
A, B = "aa" * 32, "bb" * 32


def status(height: int, p50: float | None = 100.0, p99: float | None = 300.0) -> StatusRow:
    return StatusRow(height, 0, 3, "peer", 2, p50, p99)


def blocks(height: int) -> BlockLog:
    return BlockLog({h: BlockRow(h, f"h{h}", 0, h * 1000) for h in range(1, height + 1)})


def test_collect_chain_facts_sum_rewards_over_versions() -> None:
    replies: dict[str, dict[str, Any]] = {
        f"/accounts/{A}": {"balance": 5, "bonded": 50, "unbonding": []},
        "/validators": {"validators": [{"address": A}]},
        "/candidates": {"candidates": [{"address": B, "tombstoned": True}]},
        "/tasks/1/models/1/contributions": {
            "contributions": [
                {"sender": A, "accepted": True, "reward": 3},
                {"sender": B, "accepted": False, "reward": 0},
            ]
        },
        "/tasks/1/models/2/contributions": {
            "contributions": [{"sender": A, "accepted": True, "reward": 4}]
        },
    }
    facts = fetch_chain_facts(replies.get, [A, B], versions=2)
    assert facts.accounts == {A: AccountRow(5, 50, 0)}
    assert facts.validators == {A} and facts.tombstoned == {B}
    assert facts.rewards == {A: 7, B: 0}
    assert facts.accepted == {A: 2, B: 0}


def test_collect_observe_node_reads_models_stake_and_slashing() -> None:
    facts = ChainFacts(
        accounts={A: AccountRow(1_100, 95, 0), B: AccountRow(1_000, 100, 0)},
        validators=frozenset({B}),
        tombstoned=frozenset(),
        rewards={A: 40},
        accepted={A: 2},
    )
    models = {"/tasks/1/models": {"models": [{"version": 1, "model_hash": "m1", "height": 3}]}}
    end = NodeEnd("bad", A, False, status(4), blocks(4), starts=2, perturbed=True)
    seen = observe_node(end, models.get, facts, start=(1_000, 100))
    assert seen.slashed and not seen.validator_at_end and seen.running
    assert seen.block_hashes == {1: "h1", 2: "h2", 3: "h3", 4: "h4"}
    assert seen.model_hashes == {1: "m1"}
    assert (seen.bonded_start, seen.bonded_end, seen.balance_gain) == (100, 95, 95)
    assert (seen.delta_rewards, seen.accepted_deltas, seen.starts) == (40, 2, 2)
    honest = NodeEnd("v0", B, True, None, blocks(2), starts=1, perturbed=False)
    silent: dict[str, dict[str, Any]] = {}
    down = observe_node(honest, silent.get, facts, start=(1_000, 100))
    assert not down.running and down.height == 2 and down.model_hashes == {}
    assert not down.slashed and down.validator_at_end


def test_collect_start_holdings_count_the_task_pool_as_held() -> None:
    keys = {n.name: KeyPair.from_seed(node_seed(MANIFEST, 1, n.name)) for n in MANIFEST.nodes}
    task, _ = build_task(TestnetOptions(validators=4, task=TaskOptions()))
    creator = keys["v0"]
    genesis = build_genesis(MANIFEST, keys, GenesisTask(creator.address, task))
    held = compute_start_holdings(genesis)
    assert held[keys["v1"].address.hex()] == (1_000_000_000, 1_000_000)
    assert held[creator.address.hex()] == (1_000_000_000 - task.reward_pool, 1_000_000)


def test_collect_figures_summarise_heights_finality_and_accuracy() -> None:
    nodes = [
        NodeObservation("v0", True, True, 10, starts=1),
        NodeObservation("v1", True, True, 8, starts=3),
        NodeObservation("bad", False, True, 2, starts=1),
    ]
    statuses = {"v0": status(10, 100.0, 300.0), "v1": status(8, 140.0, 900.0), "bad": None}
    versions = [VersionPoint(1, 3, 4.0, 0.5), VersionPoint(2, 6, 9.5, 0.85)]
    figures = compute_figures(
        MANIFEST,
        nodes=nodes,
        statuses=statuses,
        versions=versions,
        rounds_per_height=1.25,
        duration_s=20.0,
    )
    assert figures["final_height_max"] == 10 and figures["final_height_min"] == 8
    assert figures["blocks_per_s"] == 0.5
    assert figures["finality_p50_ms"] == 120.0 and figures["finality_p99_ms"] == 900.0
    assert figures["target_version"] == 2 and figures["seconds_to_target"] == 9.5
    assert figures["best_accuracy"] == 0.85 and figures["model_versions"] == 2
    assert figures["process_starts"] == 5 and figures["restarts"] == 2
    assert figures["rounds_per_height"] == 1.25 and figures["node_processes"] == 3
