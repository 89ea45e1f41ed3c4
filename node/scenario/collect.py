"""The end of a run: each node's observation and the summary figures.

Chain-wide facts (stake, validator set, tombstones, rewards) come from one honest reference
node; heights, blocks and model hashes from every node, so that the checks compare them.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from consensus.genesis import Genesis
from node.scenario.manifest import Manifest
from node.scenario.observe import (
    AccountRow,
    Fetch,
    StatusRow,
    fetch_account,
    fetch_contributions,
    fetch_models,
    fetch_tombstoned,
    fetch_validators,
)
from node.scenario.report import NodeObservation, VersionPoint
from node.scenario.tracking import BlockLog


@dataclass(frozen=True)
class ChainFacts:
    """What the reference node says about every account at the end."""

    accounts: dict[str, AccountRow]
    validators: frozenset[str]
    tombstoned: frozenset[str]
    rewards: dict[str, int]
    accepted: dict[str, int]


def fetch_chain_facts(fetch: Fetch, addresses: list[str], versions: int) -> ChainFacts:
    accounts = {a: row for a in addresses if (row := fetch_account(fetch, a)) is not None}
    rewards: dict[str, int] = {}
    accepted: dict[str, int] = {}
    for version in range(1, versions + 1):
        for c in fetch_contributions(fetch, version) or []:
            rewards[c.sender] = rewards.get(c.sender, 0) + c.reward
            accepted[c.sender] = accepted.get(c.sender, 0) + int(c.accepted)
    return ChainFacts(
        accounts=accounts,
        validators=fetch_validators(fetch) or frozenset(),
        tombstoned=fetch_tombstoned(fetch) or frozenset(),
        rewards=rewards,
        accepted=accepted,
    )


def compute_start_holdings(genesis: Genesis) -> dict[str, tuple[int, int]]:
    """(balance, bonded) per address at genesis; a task's escrowed pool counts as held."""
    held = {a.address.hex(): (a.balance, a.bonded) for a in genesis.accounts}
    for task in genesis.tasks:
        balance, bonded = held.get(task.creator.hex(), (0, 0))
        held[task.creator.hex()] = (balance - task.spec.reward_pool, bonded)
    return held


@dataclass(frozen=True)
class NodeEnd:
    """One node at the end of a run, before judging."""

    name: str
    address: str
    honest: bool
    status: StatusRow | None
    blocks: BlockLog
    starts: int
    perturbed: bool


def observe_node(
    end: NodeEnd, fetch: Fetch, facts: ChainFacts, start: tuple[int, int]
) -> NodeObservation:
    models = fetch_models(fetch) if end.status is not None else None
    account = facts.accounts.get(end.address)
    balance0, bonded0 = start
    bonded = account.bonded if account else bonded0
    held = account.balance + account.bonded + account.unbonding if account else balance0 + bonded0
    lost = bonded < bonded0 and account is not None and account.unbonding == 0
    return NodeObservation(
        name=end.name,
        honest=end.honest,
        running=end.status is not None,
        height=end.status.height if end.status else end.blocks.height,
        block_hashes=end.blocks.hashes(),
        model_hashes={m.version: m.model_hash for m in models or []},
        bonded_start=bonded0,
        bonded_end=bonded,
        slashed=end.address in facts.tombstoned or lost,
        validator_at_end=end.address in facts.validators,
        perturbed=end.perturbed,
        starts=end.starts,
        balance_gain=held - balance0 - bonded0,
        delta_rewards=facts.rewards.get(end.address, 0),
        accepted_deltas=facts.accepted.get(end.address, 0),
    )


Figure = float | int | str | None


def compute_figures(
    manifest: Manifest,
    *,
    nodes: list[NodeObservation],
    statuses: Mapping[str, StatusRow | None],
    versions: list[VersionPoint],
    rounds_per_height: float | None,
    duration_s: float,
) -> dict[str, Figure]:
    """The report's summary numbers (pure)."""
    honest = [n for n in nodes if n.honest]
    heights = [n.height for n in honest] or [0]
    p50 = [s.finality_p50_ms for n in honest if (s := statuses.get(n.name)) and s.finality_p50_ms]
    p99 = [s.finality_p99_ms for n in honest if (s := statuses.get(n.name)) and s.finality_p99_ms]
    measured = [v.accuracy for v in versions if v.accuracy is not None]
    target = manifest.checks.target_accuracy
    reached = next(
        (v for v in versions if target is not None and (v.accuracy or 0.0) >= target), None
    )
    return {
        "final_height_max": max(heights),
        "final_height_min": min(heights),
        "blocks_per_s": round(max(heights) / duration_s, 3) if duration_s > 0 else None,
        "finality_p50_ms": round(statistics.median(p50), 1) if p50 else None,
        "finality_p99_ms": round(max(p99), 1) if p99 else None,
        "rounds_per_height": round(rounds_per_height, 3) if rounds_per_height else None,
        "model_versions": max((v.version for v in versions), default=0),
        "best_accuracy": round(max(measured), 4) if measured else None,
        "target_accuracy": target,
        "target_version": reached.version if reached else None,
        "seconds_to_target": reached.t_s if reached else None,
        "node_processes": len(nodes),
        "process_starts": sum(n.starts for n in nodes),
        "restarts": sum(max(0, n.starts - 1) for n in nodes),
        "duration_s": round(duration_s, 1),
    }
