"""The live progress display of a run (a rich table redrawn on every poll) and its rows."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from node.scenario.observe import StatusRow


@dataclass(frozen=True)
class NodeLine:
    """One node's row: its state in the run and what its status says."""

    name: str
    state: str
    status: StatusRow | None


STATE_STYLE = {
    "running": "green",
    "paused": "yellow",
    "down": "red",
    "cut off": "magenta",
    "partitioned": "magenta",
}


def render_progress(
    title: str, lines: list[NodeLine], best_accuracy: float | None, next_event: str
) -> Table:
    """The table for one moment of the run."""
    accuracy = "-" if best_accuracy is None else f"{best_accuracy:.3f}"
    table = Table(title=title, caption=f"best accuracy {accuracy}; next: {next_event}")
    for column in ("node", "state", "height", "round", "model", "peers", "finality p50"):
        table.add_column(column)
    for line in lines:
        style = STATE_STYLE.get(line.state, "")
        state = f"[{style}]{line.state}[/]" if style else line.state
        s = line.status
        if s is None:
            table.add_row(line.name, state, "-", "-", "-", "-", "-")
            continue
        p50 = "-" if s.finality_p50_ms is None else f"{s.finality_p50_ms:.0f} ms"
        row = (str(s.height), str(s.round), f"v{s.model_version}", str(s.peers), p50)
        table.add_row(line.name, state, *row)
    return table


def announce_dashboards(nodes: list[tuple[str, str]], console: Console | None = None) -> None:
    """Say on stderr where each node's web dashboard is: (name, API URL) pairs."""
    out = console or Console(stderr=True)
    for name, api_url in nodes:
        out.print(f"{name} dashboard: {api_url.rstrip('/')}/", highlight=False, soft_wrap=True)


class ProgressDisplay:
    """A rich ``Live`` on stderr while enabled; does nothing otherwise (tests, pipes)."""

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.live = (
            Live(console=console or Console(stderr=True), auto_refresh=False) if enabled else None
        )

    def __enter__(self) -> ProgressDisplay:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()

    def show(self, table: Table) -> None:
        if self.live is not None:
            self.live.update(table, refresh=True)
