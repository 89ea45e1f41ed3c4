"""What the names in a run report mean: a title and one sentence per check and per figure.

The CLI's end-of-run tables and the HTML page both read them, so a reader meets the same words
in both. A name not listed here (a figure a newer runner adds) is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A report name for people: a short title, a unit (``""`` for none) and a description."""

    title: str
    description: str
    unit: str = ""


CHECKS: dict[str, Term] = {
    "no_conflicting_blocks": Term(
        "no conflicting blocks",
        "Safety: no two nodes finalized different blocks at the same height.",
    ),
    "honest_nodes_running": Term(
        "honest nodes running", "Every honest node still answers its API at the end of the run."
    ),
    "min_height": Term(
        "minimum height", "Liveness: every honest node reached the manifest's minimum height."
    ),
    "caught_up": Term(
        "caught up",
        "Every honest node, including those killed, paused or cut off, ends within a few blocks "
        "of the highest final height.",
    ),
    "same_model_hash": Term(
        "same model",
        "Every honest node holds the same model hash at the newest version they all have.",
    ),
    "accuracy_target": Term(
        "accuracy target",
        "Some model version reached the target test accuracy.",
    ),
    "double_signers_slashed": Term(
        "double signers slashed",
        "Each double-signing validator lost stake to evidence and left the validator set.",
    ),
    "joiners_elected": Term(
        "joiners elected",
        "Each node that joined as a candidate was voted into the validator set.",
    ),
    "clean_shutdown": Term(
        "clean shutdown",
        "Nothing outlived the run: no node process (or container, network, volume) left.",
    ),
    "workload_consistent": Term(
        "workload consistent",
        "Every transaction a node's API accepted from the clients is final exactly once (or "
        "was dropped with a reason), and the clients' balances add up.",
    ),
}

FIGURES: dict[str, Term] = {
    "final_height_max": Term("highest final height", "The tip: the highest height finalized."),
    "final_height_min": Term(
        "lowest final height", "The final height of the honest node furthest behind."
    ),
    "blocks_per_s": Term("blocks per second", "Highest final height over the run's duration."),
    "finality_p50_ms": Term(
        "finality p50", "Median time from a block's proposal to its finality.", "ms"
    ),
    "finality_p99_ms": Term(
        "finality p99", "99th percentile of the time from proposal to finality.", "ms"
    ),
    "rounds_per_height": Term(
        "rounds per height", "Consensus rounds per height on average (1.0: no round failed)."
    ),
    "model_versions": Term("model versions", "Model versions the task reached (aggregations)."),
    "best_accuracy": Term(
        "best accuracy", "Highest test accuracy of any model version (digits test split)."
    ),
    "target_accuracy": Term("target accuracy", "The accuracy the manifest's check asks for."),
    "target_version": Term("target reached at version", "First version at or above the target."),
    "seconds_to_target": Term(
        "time to target", "Seconds from the start until that version was final.", "s"
    ),
    "nodes": Term("nodes", "Nodes in the scenario."),
    "node_processes": Term("node processes", "Nodes run as processes or containers."),
    "process_starts": Term("process starts", "Node starts, restarts included."),
    "restarts": Term("restarts", "Node starts after the first (kills and restarts)."),
    "duration_s": Term("duration", "Length of the run (virtual seconds in simulate mode).", "s"),
    "processes_left": Term("processes left", "Node processes still alive after the run (0)."),
    "docker_resources_left": Term(
        "Docker resources left", "Containers, networks and volumes left after the run (0)."
    ),
    "trace_hash": Term(
        "trace hash", "SHA-256 over every processed event: equal for equal manifest and seed."
    ),
    "events": Term("events", "Events the simulator processed."),
    "messages_sent": Term("messages sent", "Consensus messages sent between simulated nodes."),
    "messages_dropped": Term(
        "messages dropped", "Messages lost to partitions, disconnections or loss."
    ),
    "evidence": Term("evidence", "Double-sign evidence found by honest nodes."),
    "safety_violations": Term(
        "safety violations", "Honest nodes disagreeing on a final block or state (0)."
    ),
    "other_violations": Term(
        "other violations", "Other broken invariants of honest nodes, such as double-signing (0)."
    ),
    "rejected_honest_inputs": Term(
        "rejected honest inputs", "Honest messages an honest node refused (0)."
    ),
    "deltas_submitted": Term("deltas submitted", "Model deltas the trainers sent."),
    "txs_submitted": Term("transactions submitted", "Transactions the nodes signed and sent."),
    "txs_refused_own": Term(
        "own transactions refused", "Transactions a node's own mempool refused before gossip."
    ),
    "txs_rejected": Term(
        "gossiped transactions rejected",
        "Gossiped transactions a peer's mempool refused (such as one it had already included).",
    ),
    "deltas_unavailable": Term(
        "deltas unavailable", "Deltas a peer dropped because their payload was withheld."
    ),
    "spam_sent": Term("spam sent", "Invalid transactions the spammers sent."),
    "spam_rejected": Term("spam rejected", "Spam transactions the mempools refused."),
    "spam_admitted": Term("spam admitted", "Spam transactions a mempool let in (0)."),
}

MAIN_FIGURES = (
    "final_height_max",
    "finality_p50_ms",
    "finality_p99_ms",
    "model_versions",
    "best_accuracy",
    "seconds_to_target",
    "duration_s",
)
"""The figures the end-of-run table shows; report.json and the page have them all."""


def get_check(name: str) -> Term:
    """The check's title and description (the name itself for an unknown check)."""
    return CHECKS.get(name, Term(name.replace("_", " "), ""))


def get_figure(name: str) -> Term:
    """The figure's title, description and unit (the name itself for an unknown figure)."""
    return FIGURES.get(name, Term(name.replace("_", " "), ""))


def format_figure(name: str, value: float | int | str | None) -> str:
    """A figure's value for people: ``131 ms``, ``0.9526``, ``1,234``, ``-`` for none."""
    if value is None:
        return "-"
    unit = get_figure(name).unit
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        text = f"{value:,}"
    elif unit in ("ms", "s"):
        text = f"{value:,.1f}" if unit == "s" else f"{value:,.0f}"
    else:
        text = f"{value:.4g}"
    return f"{text} {unit}" if unit else text
