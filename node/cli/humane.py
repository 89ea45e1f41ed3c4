"""Writing values for people: times as "12 s ago", milliseconds as ms or s, and a node's status
as a table (task versions as rows, not a Python dict)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

WHOLE_WIDTH = 10_000


def format_ago(then_ms: int, now_ms: int) -> str:
    """``12 s ago``, ``3 min ago``, ``2 h ago``, ``5 d ago`` (``in the future`` for clock skew)."""
    seconds = round((now_ms - then_ms) / 1000)
    if seconds < 0:
        return "in the future (clock skew)"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def format_time_ms(then_ms: int, now_ms: int) -> str:
    """The UTC time and how long ago it was; ``-`` for 0 (nothing yet)."""
    if then_ms <= 0:
        return "-"
    stamp = dt.datetime.fromtimestamp(then_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} UTC ({format_ago(then_ms, now_ms)})"


def format_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def render_status(info: dict[str, Any], now_ms: int) -> Table:
    """``GET /status`` as a two-column table."""
    table = Table(title=f"{info['moniker']} on {info['chain_id']}", show_header=False)
    models = info.get("models") or {}
    rows = [
        ("height", f"{info['height']:,}"),
        ("round · step", f"{info['round']} · {info['step']}"),
        ("latest block", format_time_ms(info["latest_block_time_ms"], now_ms)),
        ("latest block hash", info["latest_block_hash"] or "-"),
        ("finality p50 · p99", f"{format_ms(info['finality_p50_ms'])} · "
         f"{format_ms(info['finality_p99_ms'])}"),
        ("peers", str(info["peers"])),
        ("mempool", f"{info['mempool_txs']} transaction{'' if info['mempool_txs'] == 1 else 's'}"),
        ("validator", "yes" if info["is_validator"] else "no"),
        ("models", "\n".join(f"task {t}: version {v}" for t, v in sorted(models.items(),
                                                                          key=lambda i: int(i[0])))
         or "no task"),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    return table


def render_identity(info: dict[str, Any], dashboard: str = "") -> list[str]:
    """The node's address, peer id and dashboard, each whole on its own line (to copy)."""
    lines = [f"address   {info['address'] or '-'}", f"peer id   {info['peer_id']}"]
    return [*lines, f"dashboard {dashboard}"] if dashboard else lines


def print_whole(console: Console, table: Table, *whole_columns: int) -> None:
    """Print ``table`` with the cells of ``whole_columns`` (hashes, addresses) never cut or
    folded: the table is as wide as those need, wider than the terminal if it must be (the
    terminal wraps the line, which keeps a copied hash whole)."""
    for index in whole_columns:
        table.columns[index].no_wrap = True
        table.columns[index].overflow = "ignore"
    needed = Measurement.get(console, console.options.update_width(WHOLE_WIDTH), table).minimum
    if needed > console.width:
        table.width = needed
    console.print(table, crop=False)
