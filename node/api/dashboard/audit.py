"""The audit of one model version, as ``deltachain audit`` prints it: block -> deltas ->
contributors -> signatures and commits, each link shown verified or not, then every failure."""

from __future__ import annotations

from node.api.dashboard import fmt
from node.api.dashboard.html import Html, definitions, link, table, tag
from node.api.dashboard.layout import panel, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.errors import NotFoundError
from node.api.request import Call, Response
from node.learning.audit import AuditReport, DeltaAudit, UnknownVersionError, fetch_audit


async def get_audit(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    version: int = call.params["version"]
    try:
        report = await fetch_audit(call.view, task_id, version)
    except UnknownVersionError as exc:
        raise NotFoundError(str(exc)) from None
    src = open_source(call.view)
    content = (
        tag("h1", f"Audit of task {task_id}, model version {version}"),
        _verdict(report),
        panel("The chain of evidence", _evidence(report)),
        panel("Model and block", _fields(report)),
        tag(
            "section",
            tag("h2", f"Deltas ({len(report.deltas)})"),
            _deltas(src, report),
            class_="panel",
        ),
        _failures(report),
    )
    title = f"Audit task {task_id} v{version}"
    return respond_page(call, title, content)


def _verdict(report: AuditReport) -> Html:
    if report.verified:
        return tag(
            "p", fmt.mark(True, "every check verified"), class_="verdict", data_verified="true"
        )
    count = len(report.failures)
    return tag(
        "p",
        fmt.mark(False, no=f"{count} check{'s' * (count != 1)} failed"),
        class_="verdict",
        data_verified="false",
    )


def _evidence(report: AuditReport) -> Html:
    """Version -> block -> deltas -> contributors -> signatures, each with its check."""
    deltas, senders = report.deltas, {d.sender for d in report.deltas}
    snapshot_ok = report.snapshot_verified or not report.snapshot_held
    steps: list[tuple[str, str | int, Html]] = [
        ("model", f"v{report.version}", fmt.mark(snapshot_ok, "snapshot")),
        ("final block", f"#{report.height:,}", fmt.mark(report.commit_verified, "commit")),
        ("deltas", len(deltas), fmt.mark(all(d.inclusion_verified for d in deltas), "included")),
        ("contributors", len(senders), fmt.mark(all(_is_paid_right(d) for d in deltas), "paid")),
        ("signatures", len(deltas), fmt.mark(all(_is_signed(d) for d in deltas), "verified")),
    ]
    parts: list[Html] = []
    for name, value, outcome in steps:
        if parts:
            parts.append(tag("span", "→", class_="arrow"))
        parts.append(tag("span", tag("b", name), " ", value, " ", outcome, class_="step"))
    return tag("div", parts, class_="chain")


def _is_paid_right(delta: DeltaAudit) -> bool:
    return delta.reward == delta.expected_reward


def _is_signed(delta: DeltaAudit) -> bool:
    return delta.signature_valid and delta.commit_verified


def _fields(report: AuditReport) -> Html:
    if report.aggregation_replayed:
        replay = fmt.mark(report.aggregation_verified, "re-run gives the same model")
    else:
        replay = tag("span", "not re-run: this node does not hold every blob", class_="muted")
    snapshot = (
        fmt.mark(report.snapshot_verified, "hash recomputed")
        if report.snapshot_held
        else tag("span", "not held by this node (not a failure)", class_="muted")
    )
    return definitions(
        (
            ("model hash", fmt.full_hex(report.model_hash)),
            ("final block", fmt.block_link(report.height) if report.height else "-"),
            ("block hash", fmt.full_hex(report.block_hash)),
            ("block commit", fmt.mark(report.commit_verified)),
            ("snapshot", snapshot),
            ("aggregation", replay),
            ("version page", link(f"/ui/tasks/{report.task_id}/models/{report.version}", "open")),
        )
    )


def _deltas(src: Source, report: AuditReport) -> Html:
    rows = [
        (
            fmt.tx_link(d.tx_hash),
            fmt.address_link(d.sender, src.monikers),
            fmt.block_link(d.height) if d.height else "-",
            fmt.mark(d.signature_valid),
            fmt.mark(d.inclusion_verified),
            fmt.mark(d.commit_verified),
            "accepted" if d.accepted else "rejected",
            fmt.amount(d.reward),
            fmt.mark(
                d.reward == d.expected_reward,
                f"rule pays {d.expected_reward:,}",
                f"rule pays {d.expected_reward:,}",
            ),
        )
        for d in report.deltas
    ]
    headers = (
        "delta",
        "contributor",
        "block",
        "signature",
        "included",
        "commit",
        "outcome",
        "paid",
        "reward check",
    )
    return table(headers, rows, class_="audit")


def _failures(report: AuditReport) -> Html:
    if not report.failures:
        return Html("")
    items = [tag("li", failure) for failure in report.failures]
    return panel("Failures", tag("ul", items, class_="bad"))
