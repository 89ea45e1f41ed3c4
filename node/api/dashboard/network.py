"""The front page: the network at a glance (height, block rate, finality, peers), block times
over the last blocks, the validator set, the next election, the newest blocks and the tasks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from node.api.dashboard import fmt
from node.api.dashboard.blocks import render_latest_blocks
from node.api.dashboard.chart import ChartSpec, render_line_chart
from node.api.dashboard.html import Content, Html, link, tag
from node.api.dashboard.layout import panel, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.dashboard.tasks import render_task_table
from node.api.dashboard.validators import (
    compute_next_election,
    render_candidate_table,
    render_election,
    render_validator_table,
)
from node.api.request import Call, Response
from node.chain.view import StatusReport
from node.storage.chain_index import BlockSummary

RECENT = 100
"""Blocks behind the block rate and the block-time chart."""

INTERVAL_CHART = ChartSpec(
    label="Time between consecutive final blocks over the last blocks",
    x_name="height",
    y_name="block interval",
    y_format=fmt.duration_ms,
)


def compute_block_rate(summaries: Sequence[BlockSummary]) -> float | None:
    """Blocks per second over ``summaries`` (any order); None with fewer than two."""
    if len(summaries) < 2:
        return None
    times = sorted(b.time_ms for b in summaries)
    span_s = (times[-1] - times[0]) / 1000
    return (len(times) - 1) / span_s if span_s > 0 else None


def compute_intervals(summaries: Sequence[BlockSummary]) -> list[tuple[float, float]]:
    """(height, ms since the previous block) for each block after the first, by height."""
    ordered = sorted(summaries, key=lambda b: b.height)
    return [(float(b.height), float(b.time_ms - a.time_ms)) for a, b in itertools.pairwise(ordered)]


def _card(label: str, value: Content, status: str | None = None) -> Html:
    return tag(
        "div",
        tag("div", label, class_="label"),
        tag("div", value, class_="value", data_status=status),
        class_="card",
    )


def render_cards(src: Source, status: StatusReport, recent: Sequence[BlockSummary]) -> Html:
    state = src.state
    rate = compute_block_rate(recent)
    election = compute_next_election(state)
    return tag(
        "div",
        _card("height", f"{state.height:,}", "height"),
        _card("round · step", f"{status.round} · {status.step}"),
        _card(f"block rate (last {len(recent)})", "-" if rate is None else f"{rate:.2f} /s"),
        _card("finality p50", fmt.duration_ms(status.finality_p50_ms), "p50"),
        _card("finality p99", fmt.duration_ms(status.finality_p99_ms), "p99"),
        _card("peers", status.peers, "peers"),
        _card("validators", f"{len(state.validators)} · power {state.validators.total_power:,}"),
        _card("next election", f"block {election:,}"),
        _card("tasks", len(state.tasks)),
        _card("supply minted · burned", f"{state.minted:,} · {state.burned:,}"),
        class_="cards",
    )


async def get_network(call: Call) -> Response:
    src = open_source(call.view)
    status = call.view.get_status()
    height = src.state.height
    recent = src.index.get_block_summaries(max(1, height - RECENT + 1), height)
    chart = render_line_chart(compute_intervals(recent), INTERVAL_CHART)
    content = (
        tag("h1", f"Network {src.state.chain_id}"),
        render_cards(src, status, recent),
        panel(
            "Block time",
            chart,
            tag("p", "Time from each final block to the next (header times).", class_="muted"),
        ),
        panel("Latest blocks", render_latest_blocks(src), link("/ui/blocks", "all blocks ›")),
        panel("Validator set", render_validator_table(src)),
        panel("Next election", render_election(src)),
        panel("Candidates", render_candidate_table(src)),
        panel("Training tasks", render_task_table(src)),
    )
    return respond_page(call, "Network", content, live=True)
