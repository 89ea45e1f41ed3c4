"""Every check and figure a run can report has a name for people and a description, so the
page and the CLI never fall back to the raw ``report.json`` name."""

from __future__ import annotations

from node.scenario.collect import compute_figures
from node.scenario.glossary import CHECKS, FIGURES, format_figure, get_check, get_figure
from node.scenario.manifest import Byzantine, Manifest, NodeSpec, Role
from node.scenario.report import NodeObservation
from node.scenario.verdict import judge
from tests.node.scenario.simulate_support import short_report

MANIFEST = Manifest(
    name="all-checks",
    nodes=(
        NodeSpec("v0"),
        NodeSpec("v1"),
        NodeSpec("v2", byzantine=Byzantine.DOUBLE_SIGNER),
        NodeSpec("j", role=Role.FULL, stake=0, join_as_candidate=True, join_bond=10),
    ),
)


def test_every_check_is_described() -> None:
    nodes = [NodeObservation(n.name, True, True, 5) for n in MANIFEST.nodes]
    names = {c.name for c in judge(MANIFEST, nodes, [])} | {"clean_shutdown"}
    names |= {"workload_consistent"}
    assert {"double_signers_slashed", "joiners_elected"} <= names
    assert names <= set(CHECKS)
    assert all(get_check(n).description.endswith(".") for n in names)


def test_every_figure_of_both_runners_is_described() -> None:
    nodes = [NodeObservation("v0", True, True, 5)]
    processes = compute_figures(
        MANIFEST, nodes=nodes, statuses={}, versions=[], rounds_per_height=1.0, duration_s=10.0
    )
    simulate = short_report("baseline-4", 1).figures
    names = set(processes) | set(simulate) | {"processes_left", "docker_resources_left"}
    missing = names - set(FIGURES)
    assert not missing, missing
    assert all(get_figure(n).description for n in names)


def test_figures_are_written_with_their_units() -> None:
    assert format_figure("finality_p50_ms", 131.0) == "131 ms"
    assert format_figure("seconds_to_target", 20.52) == "20.5 s"
    assert format_figure("messages_sent", 2655) == "2,655"
    assert format_figure("best_accuracy", 0.95264) == "0.9526"
    assert format_figure("target_version", None) == "-"
    assert get_figure("brand_new_figure").title == "brand new figure"
