"""The live progress table: one row per node with its state and status."""

from __future__ import annotations

import io

from rich.console import Console

from node.scenario.observe import StatusRow
from node.scenario.progress import NodeLine, ProgressDisplay, announce_dashboards, render_progress


def render_text(lines: list[NodeLine], best: float | None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    console.print(render_progress("churn-5: 12s of 75s", lines, best, "kill v1 begin at 12s"))
    return buffer.getvalue()


def test_progress_table_shows_each_node_state_and_status() -> None:
    lines = [
        NodeLine("v0", "running", StatusRow(41, 0, 4, "p", 3, 212.4, 900.0)),
        NodeLine("v1", "down", None),
        NodeLine("v2", "paused", None),
    ]
    text = render_text(lines, 0.8123)
    assert "churn-5: 12s of 75s" in text
    assert "best accuracy 0.812; next: kill v1 begin at 12s" in text
    row = next(line for line in text.splitlines() if "v0" in line)
    for cell in ("running", "41", "v3", "212 ms"):
        assert cell in row
    assert "down" in next(line for line in text.splitlines() if "v1" in line)
    assert "paused" in next(line for line in text.splitlines() if "v2" in line)
    assert "best accuracy -" in render_text([], None)


def test_progress_display_disabled_draws_nothing() -> None:
    buffer = io.StringIO()
    display = ProgressDisplay(False, Console(file=buffer))
    with display:
        display.show(render_progress("t", [], None, "-"))
    assert buffer.getvalue() == ""
    enabled = ProgressDisplay(True, Console(file=buffer, force_terminal=True, width=100))
    with enabled:
        enabled.show(render_progress("shown title", [], None, "-"))
    assert "shown title" in buffer.getvalue()


def test_progress_announces_each_node_dashboard_in_full() -> None:
    buffer = io.StringIO()
    nodes = [("v0", "http://127.0.0.1:8600"), ("v1", "http://127.0.0.1:8601/")]
    announce_dashboards(nodes, Console(file=buffer, width=20, color_system=None))
    assert buffer.getvalue().splitlines() == [
        "v0 dashboard: http://127.0.0.1:8600/",
        "v1 dashboard: http://127.0.0.1:8601/",
    ]
