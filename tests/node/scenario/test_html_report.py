"""The report page and files: charts drawn from real records, empty runs, escaping, JSON."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from xml.etree import ElementTree

import pytest

from node.scenario.glossary import get_check, get_figure
from node.scenario.html import marks_to_spans, render_html
from node.scenario.manifest import Byzantine, Manifest, NodeSpec
from node.scenario.output import ReportWriteError, write_report
from node.scenario.report import (
    FinalityPoint,
    HeightSample,
    Mark,
    NodeObservation,
    RunReport,
    VersionPoint,
)
from node.scenario.svg import Series, Span, bar_chart, get_colour, line_chart, nice_ticks
from node.scenario.verdict import judge

MANIFEST = Manifest(
    name="html-run",
    nodes=(NodeSpec("v0"), NodeSpec("v1"), NodeSpec("v2", byzantine=Byzantine.DOUBLE_SIGNER)),
)


def _node(name: str, *, honest: bool = True, slashed: bool = False) -> NodeObservation:
    return NodeObservation(
        name=name,
        honest=honest,
        running=True,
        height=12,
        block_hashes={h: f"b{h}" for h in range(1, 13)},
        model_hashes={v: f"m{v}" for v in range(1, 5)},
        bonded_start=1_000_000,
        bonded_end=950_000 if slashed else 1_000_000,
        slashed=slashed,
        validator_at_end=not slashed,
        balance_gain=4_000,
        delta_rewards=3_000,
        accepted_deltas=3,
    )


def full_report() -> RunReport:
    nodes = [_node("v0"), _node("v1"), _node("v2", honest=False, slashed=True)]
    versions = [VersionPoint(v, v * 2, v * 3.0, 0.5 + v * 0.1) for v in range(1, 5)]
    versions.append(VersionPoint(5, 11, None, None))  # not evaluated: left out of the chart
    return RunReport(
        scenario=MANIFEST.name,
        mode="processes",
        seed=7,
        short=True,
        duration_s=40.0,
        nodes=nodes,
        versions=versions,
        finality=[FinalityPoint(t * 2.0, t, 300.0 + 40 * (t % 3)) for t in range(1, 13)],
        marks=[Mark(8.0, "kill", ("v1",), "start"), Mark(13.0, "kill", ("v1",), "end")],
        heights=[HeightSample(t * 2.0, n.name, t) for t in range(1, 13) for n in nodes],
        checks=judge(MANIFEST, nodes, versions),
        figures={"final_height": 12, "finality_p50_ms": 340.0, "best_accuracy": 0.9},
    )


def _svgs(page: str) -> list[ElementTree.Element]:
    """The charts (not the line samples of their legends)."""
    charts = re.findall(r'<svg [^>]*role="img".*?</svg>', page, re.S)
    return [ElementTree.fromstring(s) for s in charts]


def test_render_html_draws_every_chart_from_real_records() -> None:
    report = full_report()
    page = render_html(report)
    svgs = _svgs(page)
    assert len(svgs) == 5  # accuracy, latency, heights, stake, rewards
    assert "no data" not in page
    for check in report.checks:
        assert check.name in page
    assert "double_signers_slashed" in page and "accuracy_target" in page
    assert "finality_p50_ms" in page and "340" in page
    assert 'class="pass">PASSED' in page
    ns = "{http://www.w3.org/2000/svg}"
    heights = svgs[2]
    assert len(heights.findall(f"{ns}polyline")) == 3  # one line per node
    assert any(t.text == "kill v1" for t in heights.iter(f"{ns}text"))  # the perturbation span
    stake = svgs[3]
    assert len(stake.findall(f"{ns}rect")) == 3 * 2  # start and end per node


def test_render_html_without_data_says_so() -> None:
    report = RunReport(scenario="empty", mode="simulate", seed=1, short=False, duration_s=0.0)
    page = render_html(report)
    assert page.count("no data") == 5
    assert "<svg" not in page
    assert 'class="fail">FAILED' in page  # no checks: not a pass


def test_render_html_escapes_every_text() -> None:
    evil = "<script>alert('x')</script>&"
    report = full_report()
    report.scenario = evil
    report.nodes = [_node(evil)]
    report.heights = [HeightSample(1.0, evil, 1), HeightSample(2.0, evil, 2)]
    report.marks = [Mark(1.5, evil, (evil,), "start")]
    report.figures = {evil: evil}
    page = render_html(report)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;" in page
    assert len(_svgs(page)) == 5  # still well-formed XML


def test_write_report_json_round_trips(tmp_path: Path) -> None:
    report = full_report()
    json_path, html_path = write_report(report, tmp_path / "deep" / "run")
    data = json.loads(json_path.read_text())
    assert data == json.loads(json.dumps(report.to_json()))
    assert data["passed"] is True and data["format"] == 1
    assert data["nodes"][0]["block_hashes"]["12"] == "b12"
    assert data["versions"][4] == {"version": 5, "height": 11, "t_s": None, "accuracy": None}
    assert html_path.read_text().startswith("<!DOCTYPE html>")


def test_write_report_refuses_a_file_as_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    with pytest.raises(ReportWriteError, match="cannot write the report"):
        write_report(full_report(), blocker)
    assert blocker.read_text() == "x"


def test_marks_to_spans_pairs_starts_and_ends() -> None:
    marks = [
        Mark(20.0, "partition", ("v0", "v1"), "start"),
        Mark(5.0, "pause", ("v2",), "start"),
        Mark(9.0, "pause", ("v2",), "end"),
        Mark(30.0, "kill", ("v3",), "start"),
    ]
    assert marks_to_spans(marks) == [
        Span(5.0, 9.0, "pause v2"),
        Span(20.0, None, "partition v0,v1"),
        Span(30.0, None, "kill v3"),
    ]


def test_charts_skip_non_finite_values_and_single_points() -> None:
    from node.scenario.svg import Bars, Series

    assert "no data" in line_chart(
        "t", [Series("a", ((1.0, float("nan")),))], x_label="", y_label=""
    )
    one = line_chart("t", [Series("a", ((1.0, 2.0),))], x_label="x", y_label="y")
    assert "<circle" in one
    assert "no data" in bar_chart("t", ["a"], [Bars("b", (float("inf"),))], y_label="")
    flat = bar_chart("t", ["a", "b"], [Bars("z", (0.0, 0.0))], y_label="")
    assert flat.count("<rect") == 2


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(0.0, 1_000_000.0) == pytest.approx([0.0, 2e5, 4e5, 6e5, 8e5, 1e6])
    assert nice_ticks(-3.0, 7.0) == pytest.approx([-2.0, 0.0, 2.0, 4.0, 6.0])


def test_render_html_explains_every_check_and_figure() -> None:
    report = full_report()
    report.figures = {"finality_p50_ms": 340.0, "best_accuracy": 0.9, "invented_figure": 3}
    page = render_html(report)
    for check in report.checks:
        term = get_check(check.name)
        assert term.description and escape(term.description) in page
    assert "finality p50" in page and "340 ms" in page
    assert escape(get_figure("best_accuracy").description) in page
    assert "invented figure" in page  # an unknown name is still shown, readably
    assert "what it checks" in page and "what it is" in page


def test_render_html_accuracy_chart_has_the_target_line() -> None:
    report = full_report()
    report.figures["target_accuracy"] = 0.85
    accuracy = _svgs(render_html(report))[0]
    ns = "{http://www.w3.org/2000/svg}"
    targets = [e for e in accuracy.iter(f"{ns}line") if e.get("class") == "target"]
    assert len(targets) == 1
    assert any(t.text == "target 0.85" for t in accuracy.iter(f"{ns}text"))
    del report.figures["target_accuracy"]
    accuracy = _svgs(render_html(report))[0]
    assert not [e for e in accuracy.iter(f"{ns}line") if e.get("class") == "target"]


def test_render_html_charts_are_page_wide() -> None:
    page = render_html(full_report())
    for svg in _svgs(page):
        assert svg.get("width") == "100%" and svg.get("viewBox")
    assert "figure.chart { display: block; width: 100%" in page


def test_line_chart_gives_each_of_many_series_its_own_colour_and_legend_entry() -> None:
    series = [Series(f"n{i}", ((0.0, 0.0), (1.0, float(i)))) for i in range(25)]
    chart = line_chart("t", series, x_label="x", y_label="y")
    svg = ElementTree.fromstring(re.findall(r'<svg [^>]*role="img".*?</svg>', chart, re.S)[0])
    ns = "{http://www.w3.org/2000/svg}"
    styles = {(p.get("stroke"), p.get("stroke-dasharray")) for p in svg.iter(f"{ns}polyline")}
    assert len(styles) == 25
    assert len({get_colour(i) for i in range(25)}) == 25
    assert chart.count("<li>") == 25 and all(f"n{i}</li>" in chart for i in range(25))


def test_line_chart_draws_overlapping_lines_thickest_first() -> None:
    same = ((0.0, 0.0), (1.0, 1.0))
    chart = line_chart("t", [Series(n, same) for n in ("a", "b", "c")], x_label="", y_label="")
    widths = [float(w) for w in re.findall(r'<polyline[^>]* stroke-width="([0-9.]+)"', chart)]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
