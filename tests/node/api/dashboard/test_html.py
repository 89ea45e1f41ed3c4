"""The dashboard's pure parts: escaping by construction, charts, formats, block rate."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from node.api.dashboard import fmt
from node.api.dashboard.chart import MAX_MARKS, ChartSpec, render_line_chart
from node.api.dashboard.html import Html, escape, table, tag
from node.api.dashboard.network import compute_block_rate, compute_intervals
from node.storage.chain_index import BlockSummary

SPEC = ChartSpec(label="acc", x_name="version", y_name="accuracy", y_range=(0.0, 1.0))


@given(st.text(max_size=40))
def test_html_text_and_attributes_are_escaped(text: str) -> None:
    markup = tag("td", text, title=text, data_x=text)
    assert markup.count("<") == 2 and markup.count(">") == 2
    assert markup.count('"') == 4  # the quotes around the two attribute values
    inner = markup.removeprefix("<td ").split(">", 1)[1].removesuffix("</td>")
    assert inner == escape(text)


def test_html_markup_passes_through_and_none_or_false_attributes_drop() -> None:
    cell = tag("b", "x")
    assert tag("td", cell, "<i>") == "<td><b>x</b>&lt;i&gt;</td>"
    assert tag("input", name="q", required=True, hidden=False, value=None) == (
        '<input name="q" required>'
    )
    assert tag("div", class_="a", data_live=True) == '<div class="a" data-live></div>'
    rows = table(("h",), [("<script>",), (Html("<em>ok</em>"),)])
    assert "&lt;script&gt;" in rows and "<em>ok</em>" in rows and "<script>" not in rows


def test_chart_has_a_mark_per_point_and_a_note_without_data() -> None:
    points = [(float(v), v / 10) for v in range(1, 8)]
    svg = render_line_chart(points, SPEC)
    assert svg.startswith("<svg") and 'data-points="7"' in svg
    assert svg.count('class="point"') == 7 and "version 3: accuracy 0.3" in svg
    assert "No accuracy yet" in render_line_chart([], SPEC)
    many = [(float(v), 0.5) for v in range(MAX_MARKS + 1)]
    assert 'class="point"' not in render_line_chart(many, SPEC)
    coords = re.findall(r'cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert all(0 <= float(x) <= SPEC.width and 0 <= float(y) <= SPEC.height for x, y in coords)


def test_formats_write_full_and_short_hex_amounts_and_times() -> None:
    address = bytes(range(32))
    assert fmt.short_hex(address) == address.hex()[:12] + "…"
    assert address.hex() in fmt.address_link(address, full=True)
    named = fmt.address_link(address, {address: "<b>"})
    assert "&lt;b&gt;" in named and f'href="/ui/accounts/{address.hex()}"' in named
    assert fmt.amount(1234567) == "1,234,567" and fmt.duration_ms(1500) == "1.50 s"
    assert fmt.time_ms(0) == "-"
    assert 'data-ms="1700000000000"' in fmt.time_ms(1_700_000_000_000)
    assert "2023-11-14 22:13:20 UTC" in fmt.time_ms(1_700_000_000_000)


def test_block_rate_and_intervals_from_header_times() -> None:
    blocks = [BlockSummary(h, b"", 0, 1000 + 250 * h, b"", 0) for h in range(10, 0, -1)]
    assert compute_block_rate(blocks) == 4.0
    assert compute_block_rate(blocks[:1]) is None
    assert compute_intervals(blocks) == [(float(h), 250.0) for h in range(2, 11)]
