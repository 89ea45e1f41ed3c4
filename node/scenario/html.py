"""A run report as one self-contained HTML page: summary, checks, figures, charts, nodes.

The page needs nothing else (no scripts, no stylesheets or fonts from the network); the charts
are inline SVG from :mod:`node.scenario.svg`. Every text from the report is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from node.scenario.report import Mark, RunReport
from node.scenario.svg import Bars, Series, Span, bar_chart, line_chart

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
.pass { color: #176117; font-weight: bold; } .fail { color: #a11; font-weight: bold; }
figure.chart { display: inline-block; margin: 1em 1em 1em 0; }
figure.chart text { font-size: 11px; } figure.chart text.mark { fill: #a00; font-size: 10px; }
figcaption { font-weight: bold; } .nodata { color: #777; font-style: italic; }
"""


def render_html(report: RunReport) -> str:
    """The whole page for ``report``."""
    verdict = "PASSED" if report.passed else "FAILED"
    title = f"{report.scenario}: {verdict}"
    checks = [_check_row(c.name, c.passed, c.detail) for c in report.checks]
    figures = [(escape(k), escape(_text(v))) for k, v in report.figures.items()]
    body = [
        f"<h1>Scenario {escape(report.scenario)}</h1>",
        _summary(report, verdict),
        "<h2>Checks</h2>",
        _table(("check", "result", "detail"), checks),
        "<h2>Figures</h2>",
        _table(("figure", "value"), figures),
        "<h2>Charts</h2>",
        *render_charts(report),
        "<h2>Nodes</h2>",
        _nodes_table(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def render_charts(report: RunReport) -> list[str]:
    """Accuracy, finality latency, heights, stake and rewards (each a figure or a no-data note)."""
    spans = marks_to_spans(report.marks)
    accuracy = Series(
        "accuracy",
        tuple((float(v.version), v.accuracy) for v in report.versions if v.accuracy is not None),
    )
    latency = Series("finality latency", tuple((f.t_s, f.latency_ms) for f in report.finality))
    names = [n.name for n in report.nodes]
    stake = [
        Bars("start", tuple(float(n.bonded_start) for n in report.nodes)),
        Bars("end", tuple(float(n.bonded_end) for n in report.nodes)),
    ]
    rewards = [
        Bars("delta rewards", tuple(float(n.delta_rewards) for n in report.nodes)),
        Bars("balance gain", tuple(float(n.balance_gain) for n in report.nodes)),
    ]
    return [
        line_chart(
            "Accuracy per model version", [accuracy], x_label="model version", y_label="accuracy"
        ),
        line_chart("Finality latency", [latency], x_label="time (s)", y_label="ms", spans=spans),
        line_chart(
            "Final height per node",
            height_series(report),
            x_label="time (s)",
            y_label="height",
            spans=spans,
        ),
        bar_chart("Bonded stake per node", names, stake, y_label="stake"),
        bar_chart("Rewards per node", names, rewards, y_label="tokens"),
    ]


def height_series(report: RunReport) -> list[Series]:
    """One line per node, in the order the nodes first appear in the samples."""
    by_node: dict[str, list[tuple[float, float]]] = {}
    for sample in sorted(report.heights, key=lambda s: s.t_s):
        by_node.setdefault(sample.node, []).append((sample.t_s, float(sample.height)))
    return [Series(name, tuple(points)) for name, points in by_node.items()]


def marks_to_spans(marks: Sequence[Mark]) -> list[Span]:
    """Each ``start`` mark paired with the next ``end`` of the same action and nodes.

    A start with no end (or an end with no start) is drawn as a single vertical line.
    """
    spans: list[Span] = []
    open_marks: dict[tuple[str, tuple[str, ...]], list[Mark]] = {}
    for mark in sorted(marks, key=lambda m: m.t_s):
        key = (mark.action, mark.nodes)
        label = f"{mark.action} {','.join(mark.nodes)}".strip()
        if mark.phase == "end" and open_marks.get(key):
            start = open_marks[key].pop(0)
            spans.append(Span(start.t_s, mark.t_s, label))
        elif mark.phase == "end":
            spans.append(Span(mark.t_s, None, f"{label} ({mark.phase})"))
        else:
            open_marks.setdefault(key, []).append(mark)
    spans.extend(
        Span(m.t_s, None, f"{m.action} {','.join(m.nodes)}")
        for ms in open_marks.values()
        for m in ms
    )
    return sorted(spans, key=lambda s: s.start)


def _summary(report: RunReport, verdict: str) -> str:
    css = "pass" if report.passed else "fail"
    rows = [
        ("scenario", escape(report.scenario)),
        ("mode", escape(report.mode)),
        ("seed", str(report.seed)),
        ("short run", "yes" if report.short else "no"),
        ("duration (s)", f"{report.duration_s:.1f}"),
        ("result", f'<span class="{css}">{verdict}</span>'),
    ]
    return _table(("", ""), rows, header=False)


def _check_row(name: str, passed: bool, detail: str) -> tuple[str, str, str]:
    result = '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'
    return escape(name), result, escape(detail)


def _nodes_table(report: RunReport) -> str:
    heads = ("node", "honest", "running", "height", "bonded start", "bonded end", "slashed",
             "validator at end", "perturbed", "starts", "accepted deltas", "delta rewards",
             "balance gain")  # fmt: skip
    rows = [
        (escape(n.name), _yes(n.honest), _yes(n.running), str(n.height), str(n.bonded_start),
         str(n.bonded_end), _yes(n.slashed), _yes(n.validator_at_end), _yes(n.perturbed),
         str(n.starts), str(n.accepted_deltas), str(n.delta_rewards), str(n.balance_gain))
        for n in report.nodes
    ]  # fmt: skip
    return _table(heads, rows)


def _table(heads: Sequence[str], rows: Sequence[Sequence[str]], *, header: bool = True) -> str:
    """Rows of already-escaped cells (``heads`` are escaped here)."""
    if not rows:
        return '<p class="nodata">none</p>'
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _text(value: float | int | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
