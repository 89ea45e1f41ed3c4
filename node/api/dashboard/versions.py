"""Model versions: the accuracy chart, pages of versions with their deltas and rewards, and one
version with every contribution the aggregation counted."""

from __future__ import annotations

from consensus.state import Task
from node.api.dashboard import fmt
from node.api.dashboard.chart import ChartSpec, render_line_chart
from node.api.dashboard.html import Html, definitions, link, table, tag
from node.api.dashboard.layout import panel, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.errors import NotFoundError
from node.api.request import Call, Response

PAGE_SIZE = 20
CHART_VERSIONS = 1_000
"""The chart shows at most this many of the newest measured versions."""

ACCURACY_CHART = ChartSpec(
    label="Test accuracy of each model version",
    x_name="version",
    y_name="accuracy",
    y_range=(0.0, 1.0),
    y_format=lambda y: f"{y:.2f}",
)


def render_accuracy_chart(src: Source, task_id: int) -> Html:
    series = src.index.get_accuracy_series(task_id, CHART_VERSIONS)
    points = [(float(v), a) for v, a in series]
    return render_line_chart(points, ACCURACY_CHART)


def render_versions(src: Source, task: Task, before: int) -> Html:
    """One page of versions, newest first, below ``before`` (0: from the newest)."""
    top = task.version + 1 if before == 0 else min(before, task.version + 1)
    records = src.index.get_models_page(task.task_id, top, PAGE_SIZE)
    if not records:
        return tag("p", "No model version yet.", class_="empty")
    low, high = records[-1].version, records[0].version
    totals = src.index.get_version_totals(task.task_id, low, high)
    rows = []
    for record in records:
        counted, accepted, reward = totals.get(record.version, (0, 0, 0))
        base = f"/ui/tasks/{task.task_id}/models/{record.version}"
        rows.append(
            (
                link(base, f"v{record.version}"),
                fmt.block_link(record.height),
                fmt.accuracy(record.accuracy),
                tag("span", fmt.short_hex(record.model_hash), class_="hex"),
                accepted,
                counted - accepted,
                fmt.amount(reward),
                link(f"{base}/audit", "audit"),
            )
        )
    headers = (
        "version",
        "block",
        "accuracy",
        "model hash",
        "accepted deltas",
        "rejected deltas",
        "rewards paid",
        "",
    )
    return Html(table(headers, rows, class_="versions") + _pager(task, low, high))


def _pager(task: Task, low: int, high: int) -> Html:
    base = f"/ui/tasks/{task.task_id}"
    links = []
    if high < task.version:
        links.append(link(f"{base}#versions", "« newest"))
        links.append(link(f"{base}?before={high + PAGE_SIZE + 1}#versions", "‹ newer"))
    if low > 1:
        links.append(link(f"{base}?before={low}#versions", "older ›"))
    return tag("div", links, class_="pager")


async def get_version(call: Call) -> Response:
    src = open_source(call.view)
    task_id: int = call.params["task_id"]
    version: int = call.params["version"]
    records = src.index.get_models_page(task_id, version + 1, 1)
    if not records or records[0].version != version:
        raise NotFoundError(f"task {task_id} has no model version {version}")
    record = records[0]
    rows = [
        (
            fmt.tx_link(c.tx_hash),
            fmt.address_link(c.sender, src.monikers),
            fmt.block_link(c.height),
            fmt.mark(c.accepted, "accepted", "rejected"),
            fmt.amount(c.reward),
            c.reason,
        )
        for c in call.view.get_contributions(task_id, version)
    ]
    fields = definitions(
        (
            ("task", link(f"/ui/tasks/{task_id}", f"task {task_id}")),
            ("aggregated in block", fmt.block_link(record.height)),
            ("model hash", fmt.full_hex(record.model_hash)),
            ("test accuracy", fmt.accuracy(record.accuracy)),
            ("audit", link(f"/ui/tasks/{task_id}/models/{version}/audit", "audit this version")),
        )
    )
    table_ = table(("delta", "contributor", "block", "outcome", "reward", "reason"), rows)
    content = (
        tag("h1", f"Task {task_id}, model version {version}"),
        tag("section", fields, class_="panel"),
        panel(f"Deltas counted ({len(rows)})", table_),
    )
    title = f"Task {task_id} v{version}"
    return respond_page(call, title, content)
