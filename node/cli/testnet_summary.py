"""The end of ``testnet up``: the run's figures and each node's as tables on stdout, then how
to get the trained model out (on stderr, as guidance)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from node.cli.common import print_json
from node.cli.humane import format_ms

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _accuracy(value: float | None) -> str:
    """``0.85`` as given (``_text`` would round it to one decimal)."""
    return "-" if value is None else f"{value:g}"


def render_figures(summary: dict[str, Any]) -> Table:
    """The run as a whole: target, accuracy, rounds, agreement."""
    table = Table(title="testnet summary", show_header=False)
    accuracy = [(v, a) for v, a in summary["accuracy_by_version"] if a is not None]
    recent = ", ".join(f"v{v} {a:.3f}" for v, a in accuracy[-8:]) or "not measured yet"
    rows = [
        ("nodes", summary["nodes"]),
        ("target accuracy", _accuracy(summary["target_accuracy"])),
        ("target reached at version", summary["reached_version"]),
        ("seconds to target", summary["seconds_to_target"]),
        ("accuracy of the last versions", recent),
        ("mean rounds per height", summary["mean_rounds_per_height"]),
        (f"same model hash at v{summary['compared_version']}", summary["same_model_hash"]),
    ]
    for name, value in rows:
        table.add_row(name, _text(value))
    return table


def render_nodes(summary: dict[str, Any]) -> Table:
    """One row per node: height, finality, rewards."""
    table = Table("node", "height", "finality p50", "finality p99", "delta rewards",
                  "earned (blocks, fees, deltas)", title="per node")  # fmt: skip
    for name in sorted(summary["heights"]):
        p50, p99 = summary["finality_p50_ms"].get(name), summary["finality_p99_ms"].get(name)
        table.add_row(
            name,
            _text(summary["heights"][name]),
            format_ms(p50),
            format_ms(p99),
            _text(summary["delta_rewards"].get(name)),
            _text(summary["balance_gain"].get(name)),
        )
    return table


def print_results(summary: dict[str, Any], directory: Path, *, as_json: bool) -> None:
    """The summary on stdout (tables, or JSON), then the way to the model on stderr."""
    if as_json:
        print_json(summary)
    else:
        stdout.print(render_figures(summary))
        stdout.print(render_nodes(summary))
    print_model_hint(directory)


def print_model_hint(directory: Path, task_id: int = 1) -> None:
    """How to export the trained model (the nodes are stopped: start one again first)."""
    home = directory / "node0"
    stderr.print(
        "The trained model stays in every node's store. To export it, start one node again "
        "and ask it:\n"
        f"  deltachain start --home {home} &\n"
        f"  deltachain model export --home {home} --task {task_id} --out model.npz\n"
        'then load model.npz with numpy or PyTorch (docs/cli.md, "Loading an exported model").'
    )
