"""A run report as one self-contained HTML page: summary, checks, figures, charts, nodes.

The page needs nothing else (no scripts, no stylesheets or fonts from the network); the charts
are inline SVG from :mod:`node.scenario.svg`, each as wide as the page. Every check and figure
is named for people and explained in a sentence (:mod:`node.scenario.glossary`), with its
``report.json`` name beside it. Every text from the report is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from node.scenario.glossary import format_figure, get_check, get_figure
from node.scenario.report import Mark, RunReport
from node.scenario.svg import Bars, Series, Span, Target, bar_chart, line_chart

Cell = str | tuple[str, str]
"""A table cell's HTML, or ``(css class, HTML)``."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; max-width: 18em;
         overflow-wrap: anywhere; }
code.name { color: #667; font-size: 0.85em; }
td.about { color: #444; font-size: 0.92em; min-width: 16em; }
td { overflow-wrap: anywhere; }
.pass { color: #176117; font-weight: bold; } .fail { color: #a11; font-weight: bold; }
figure.chart { display: block; width: 100%; margin: 1.5em 0 2em; }
figure.chart > svg { display: block; width: 100%; height: auto; }
figure.chart text { font-size: 12px; } figure.chart text.mark { fill: #a00; font-size: 11px; }
figure.chart text.target { fill: #176; font-size: 12px; }
figcaption { font-weight: bold; font-size: 1.1em; } p.about { margin: 0.2em 0 0.5em; color: #444; }
ul.legend { list-style: none; padding: 0; margin: 0.4em 0 0 4em; display: flex; flex-wrap: wrap;
            gap: 0.3em 1.2em; font-size: 0.9em; }
ul.legend li { white-space: nowrap; }
ul.legend svg { display: inline; vertical-align: middle; margin-right: 0.35em; }
.nodata { color: #777; font-style: italic; }
"""


def render_html(report: RunReport) -> str:
    """The whole page for ``report``."""
    verdict = "PASSED" if report.passed else "FAILED"
    title = f"{report.scenario}: {verdict}"
    checks = [_check_row(c.name, c.passed, c.detail) for c in report.checks]
    figures = [_figure_row(k, v) for k, v in report.figures.items()]
    body = [
        f"<h1>Scenario {escape(report.scenario)}</h1>",
        _summary(report, verdict),
        "<h2>Checks</h2>",
        "<p>What the run had to show at its end; the run passes when every check does.</p>",
        _table(("check", "what it checks", "result", "detail"), checks),
        "<h2>Charts</h2>",
        *render_charts(report),
        "<h2>Figures</h2>",
        _table(("figure", "value", "what it is"), figures),
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
    target = report.figures.get("target_accuracy")
    targets = (
        [Target(float(target), f"target {target:g}")] if isinstance(target, int | float) else []
    )
    return [
        line_chart(
            "Accuracy per model version",
            [accuracy],
            x_label="model version",
            y_label="accuracy",
            targets=targets,
            about="Test accuracy of each model version on the held-out digits split; the "
            "dashed line is the target the accuracy check asks for.",
        ),
        line_chart(
            "Finality latency",
            [latency],
            x_label="time (s)",
            y_label="ms",
            spans=spans,
            about="Time from a block's proposal to its finality, per final block; shaded: "
            "perturbations (kills, pauses, partitions) while they lasted.",
        ),
        line_chart(
            "Final height per node",
            height_series(report),
            x_label="time (s)",
            y_label="height",
            spans=spans,
            about="Each node's highest final block over time, one line per node; a node that "
            "stops or falls behind leaves the bundle, and rejoins it when it catches up.",
        ),
        bar_chart(
            "Bonded stake per node",
            names,
            stake,
            y_label="stake",
            about="Stake bonded to each node's account at genesis and at the end; a slashed "
            "double signer ends lower.",
        ),
        bar_chart(
            "Rewards per node",
            names,
            rewards,
            y_label="tokens",
            about="Delta rewards: paid for the node's accepted model deltas. Balance gain: the "
            "balance at the end less at genesis (block rewards and fees included).",
        ),
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


def _check_row(name: str, passed: bool, detail: str) -> tuple[Cell, ...]:
    result = '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'
    term = get_check(name)
    return _named(term.title, name), ("about", escape(term.description)), result, escape(detail)


def _figure_row(name: str, value: float | int | str | None) -> tuple[Cell, ...]:
    term = get_figure(name)
    shown = ("num", escape(format_figure(name, value)))
    return _named(term.title, name), shown, ("about", escape(term.description))


def _named(title: str, name: str) -> str:
    """The name for people, and the name in report.json beside it."""
    return f'{escape(title)} <code class="name">{escape(name)}</code>'


def _nodes_table(report: RunReport) -> str:
    heads = ("node", "honest", "running", "height", "bonded start", "bonded end", "slashed",
             "validator at end", "perturbed", "starts", "accepted deltas", "delta rewards",
             "balance gain")  # fmt: skip
    rows = [
        (escape(n.name), _yes(n.honest), _yes(n.running), _num(n.height), _num(n.bonded_start),
         _num(n.bonded_end), _yes(n.slashed), _yes(n.validator_at_end), _yes(n.perturbed),
         _num(n.starts), _num(n.accepted_deltas), _num(n.delta_rewards), _num(n.balance_gain))
        for n in report.nodes
    ]  # fmt: skip
    return _table(heads, rows)


def _num(value: int) -> Cell:
    return ("num", f"{value:,}")


def _table(heads: Sequence[str], rows: Sequence[Sequence[Cell]], *, header: bool = True) -> str:
    """Rows of already-escaped cells, each plain or ``(css class, html)`` (``heads`` are
    escaped here)."""
    if not rows:
        return '<p class="nodata">none</p>'
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _cell(cell: Cell) -> str:
    if isinstance(cell, tuple):
        return f'<td class="{cell[0]}">{cell[1]}</td>'
    return f"<td>{cell}</td>"


def _yes(value: bool) -> str:
    return "yes" if value else "no"
