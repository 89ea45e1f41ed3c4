"""How the dashboard writes chain values: links to hashes and addresses, amounts, times, marks.

Times are written as ``<time>`` elements with the UTC instant; the page's script turns them
into "12 s ago" and keeps them current, so nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from node.api.dashboard.html import Html, link, tag

SHORT_HEX = 12


def short_hex(value: bytes) -> str:
    text = value.hex()
    return text if len(text) <= SHORT_HEX + 2 else f"{text[:SHORT_HEX]}…"


def block_link(height: int) -> Html:
    return link(f"/ui/blocks/{height}", f"#{height:,}")


def tx_link(tx_hash: bytes, *, full: bool = False) -> Html:
    text = tx_hash.hex() if full else short_hex(tx_hash)
    return link(f"/ui/txs/{tx_hash.hex()}", text, class_="hex", title=tx_hash.hex())


def address_link(
    address: bytes, monikers: Mapping[bytes, str] | None = None, *, full: bool = False
) -> Html:
    """The account's page, named by its moniker when it is a candidate."""
    moniker = (monikers or {}).get(address, "")
    text = address.hex() if full else short_hex(address)
    code = tag("span", text, class_="hex")
    shown = (tag("span", moniker, class_="moniker"), " ", code) if moniker else code
    return link(f"/ui/accounts/{address.hex()}", shown, title=address.hex())


def full_hex(value: bytes) -> Html:
    """Hex written out whole (to copy), wrapping where it must."""
    return tag("code", value.hex() or "-", class_="hex full")


def amount(value: int) -> str:
    return f"{value:,}"


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def accuracy(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.4f}"


def time_ms(value: int, status: str | None = None) -> Html:
    """A block time: the instant, which the page's script shows as "12 s ago" (``status``
    names it for the script to move along with the node's latest block)."""
    if value <= 0 and status is None:
        return Html("-")
    instant = dt.datetime.fromtimestamp(max(0, value) / 1000, tz=dt.UTC)
    text = instant.strftime("%Y-%m-%d %H:%M:%S UTC")
    return tag(
        "time", text, datetime=instant.isoformat(), data_ms=value, title=text, data_status=status
    )


def duration_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def mark(ok: bool, yes: str = "verified", no: str = "failed") -> Html:
    """A check's outcome, with a word as well as a colour."""
    if ok:
        return tag("span", f"✓ {yes}", class_="ok")
    return tag("span", f"✗ {no}", class_="bad")


def flag(on: bool, text: str) -> Html:
    return tag("span", text, class_="flag") if on else Html("")
