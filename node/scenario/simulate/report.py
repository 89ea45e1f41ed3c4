"""The run's report: the observed nodes and versions, finality, marks and summary figures."""

from __future__ import annotations

from node.chain.view import compute_percentile
from node.scenario.report import FinalityPoint, NodeObservation, RunReport, VersionPoint
from node.scenario.simulate.faults import MS_PER_S, build_marks
from node.scenario.simulate.observe import get_versions, observe_nodes
from node.scenario.simulate.simulation import ScenarioSimulation
from node.scenario.verdict import judge
from node.scenario.workload import check_workload


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
    report = RunReport(
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
    if sim.workload is not None:
        reconciled = sim.workload.reconcile()
        report.workload = reconciled.to_json()
        report.checks.append(check_workload(reconciled))
    return report


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
