"""The run's report: what each simulated node holds at the end, judged like every mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consensus.state import ChainState
from node.chain.view import compute_percentile
from node.scenario.report import (
    CheckResult,
    FinalityPoint,
    NodeObservation,
    RunReport,
    VersionPoint,
)
from node.scenario.simulate.faults import MS_PER_S, build_marks
from node.scenario.verdict import judge

if TYPE_CHECKING:
    from node.scenario.simulate.simulation import ScenarioSimulation


def is_running(sim: ScenarioSimulation, index: int) -> bool:
    return not sim.status.down[index] and index not in sim.status.held


def get_reference_chain(sim: ScenarioSimulation) -> ChainState:
    """The final state of the highest honest running node (how honest nodes see the end)."""
    specs = sim.world.manifest.nodes
    candidates = [i for i in range(len(sim.nodes)) if specs[i].is_honest and is_running(sim, i)]
    pick = candidates or list(range(len(sim.nodes)))
    best = max(pick, key=lambda i: (sim.nodes[i].state.chain.height, -i))
    return sim.nodes[best].state.chain


def observe_nodes(sim: ScenarioSimulation) -> list[NodeObservation]:
    reference = get_reference_chain(sim)
    genesis = sim.world.chain
    observations = []
    for index, spec in enumerate(sim.world.manifest.nodes):
        node = sim.nodes[index]
        address = sim.world.keys[index].address
        start, end = genesis.get_account(address), reference.get_account(address)
        candidate = reference.candidates.get(address)
        tombstoned = candidate is not None and candidate.tombstoned
        observations.append(
            NodeObservation(
                name=spec.name,
                honest=spec.is_honest,
                running=is_running(sim, index),
                height=node.state.chain.height,
                block_hashes={f.block.height: f.block.hash.hex() for f in node.blocks},
                model_hashes={v: h.hex() for v, h in sim.model_hashes[index].items()},
                bonded_start=start.bonded,
                bonded_end=end.bonded,
                slashed=tombstoned or (end.bonded < start.bonded and not end.unbonding),
                validator_at_end=address in reference.validators,
                perturbed=sim.status.perturbed[index],
                starts=sim.status.starts[index],
                balance_gain=end.total - start.total,
                delta_rewards=sim.rewards.get(address, 0),
                accepted_deltas=sim.accepted.get(address, 0),
            )
        )
    return observations


def get_versions(sim: ScenarioSimulation) -> list[VersionPoint]:
    return [
        VersionPoint(v, r.height, r.t_ms / MS_PER_S, sim.learning.get_accuracy(r.model_hash))
        for v, r in sorted(sim.versions.items())
    ]


def judge_run(sim: ScenarioSimulation) -> list[CheckResult]:
    return judge(sim.world.manifest, observe_nodes(sim), get_versions(sim))


def get_finality(sim: ScenarioSimulation) -> list[FinalityPoint]:
    return [
        FinalityPoint(t / MS_PER_S, h, float(t - sim.proposal_ms.get(h, t)))
        for h, t in sorted(sim.final_ms.items())
    ]


def build_report(sim: ScenarioSimulation, *, short: bool) -> RunReport:
    manifest = sim.world.manifest
    nodes, versions = observe_nodes(sim), get_versions(sim)
    finality = get_finality(sim)
    duration_s = sim.now / MS_PER_S
    return RunReport(
        scenario=manifest.name,
        mode="simulate",
        seed=sim.world.seed,
        short=short,
        duration_s=duration_s,
        nodes=nodes,
        versions=versions,
        finality=finality,
        marks=[m for m in build_marks(manifest) if m.t_s <= duration_s],
        heights=list(sim.progress.samples),
        checks=judge(manifest, nodes, versions),
        figures=compute_figures(sim, nodes, versions, finality),
    )


def compute_figures(
    sim: ScenarioSimulation,
    nodes: list[NodeObservation],
    versions: list[VersionPoint],
    finality: list[FinalityPoint],
) -> dict[str, float | int | str | None]:
    """The summary numbers, named as the process runner names them, plus the simulator's."""
    target = sim.world.manifest.checks.target_accuracy
    measured = [v.accuracy for v in versions if v.accuracy is not None]
    reached = next(
        (v for v in versions if target is not None and (v.accuracy or 0) >= target), None
    )
    heights = [n.height for n in nodes if n.honest] or [0]
    latencies = [f.latency_ms for f in finality]
    duration_s = sim.now / MS_PER_S
    figures: dict[str, float | int | str | None] = {
        "final_height_max": max(heights),
        "final_height_min": min(heights),
        "blocks_per_s": round(max(heights) / duration_s, 3) if duration_s > 0 else None,
        "finality_p50_ms": compute_percentile(latencies, 0.5),
        "finality_p99_ms": compute_percentile(latencies, 0.99),
        "rounds_per_height": round(sim.stats.get_rounds_per_height(max(heights)), 3),
        "model_versions": max((v.version for v in versions), default=0),
        "best_accuracy": round(max(measured), 4) if measured else None,
        "target_accuracy": target,
        "target_version": reached.version if reached else None,
        "seconds_to_target": reached.t_s if reached else None,
        "nodes": len(nodes),
        "restarts": sum(max(0, n.starts - 1) for n in nodes),
        "duration_s": round(duration_s, 3),
        **_simulator_figures(sim),
    }
    return figures


def _simulator_figures(sim: ScenarioSimulation) -> dict[str, float | int | str | None]:
    violations = sim.checker.violations
    return {
        "trace_hash": sim.trace.hexdigest(),
        "events": sim.trace.events,
        "messages_sent": sim.stats.sent,
        "messages_dropped": sim.stats.dropped,
        "evidence": len(sim.stats.evidence),
        "safety_violations": sum(v.kind.is_safety for v in violations),
        "other_violations": sum(not v.kind.is_safety for v in violations),
        "rejected_honest_inputs": sim.stats.rejected_honest,
        "deltas_submitted": sum(t.submitted for t in sim.training.trainers.values()),
        **sim.txs.counters,
    }
