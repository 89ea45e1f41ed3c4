"""Inline SVG charts for the report page: line charts with marked time spans and target lines,
grouped bars.

No JavaScript and no fonts or files from elsewhere: each chart is one ``<figure>`` element, as
wide as the page (the SVG scales with its ``viewBox``), with a sentence saying what it shows and
an HTML legend under it that wraps however many series there are. Each series has its own
colour and, past the first ten, its own dash pattern; lines are drawn thickest first, so lines
that lie on top of each other (nodes at the same height) still show every colour. A chart with
no data is a figure with a "no data" note instead of axes. Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 960
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 40
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
DASHES = ("", "7 3", "2 2", "9 3 2 3")
"""Dash patterns, one per round of the palette (series 11-20 dashed, and so on)."""
THICKEST = 5.0
THINNEST = 1.5


@dataclass(frozen=True)
class Series:
    """A named line: ``(x, y)`` points in drawing order."""

    name: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Span:
    """A marked x range (shaded), or one x value (a vertical line) when ``end`` is None."""

    start: float
    end: float | None
    label: str


@dataclass(frozen=True)
class Target:
    """A horizontal reference line (a goal such as the target accuracy)."""

    value: float
    label: str


@dataclass(frozen=True)
class Bars:
    """One bar per category, all in one colour."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Frame:
    """The data ranges of a chart, mapped onto the drawing area."""

    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, value: float) -> float:
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (value - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)


def no_data(title: str, about: str = "") -> str:
    caption = f"<figcaption>{escape(title)}</figcaption>{_about(about)}"
    return f'<figure class="chart">{caption}<p class="nodata">no data</p></figure>'


def get_colour(index: int) -> str:
    """The ``index``-th series colour: the palette, then hues spaced by the golden angle."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 137.508) % 360
    lightness = (38, 52, 66)[index % 3]
    return f"hsl({hue:.0f},65%,{lightness}%)"


def get_dash(index: int) -> str:
    return DASHES[(index // len(PALETTE)) % len(DASHES)]


def get_stroke_width(index: int, count: int) -> float:
    """Thickest first, so a line drawn over an equal one leaves its edges showing."""
    if count <= 1 or count > len(PALETTE):
        return THINNEST if count > len(PALETTE) else 2.0
    step = (THICKEST - THINNEST) / (count - 1)
    return THICKEST - index * step


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    spans: Sequence[Span] = (),
    targets: Sequence[Target] = (),
    about: str = "",
) -> str:
    """Lines over a shared x axis with ``spans`` marked and ``targets`` drawn across; non-finite
    points are left out."""
    series = [Series(s.name, tuple(p for p in s.points if _is_finite(p))) for s in series]
    points = [p for s in series for p in s.points]
    if not points:
        return no_data(title, about)
    xs = [p[0] for p in points] + [s.start for s in spans] + [s.end for s in spans if s.end]
    ys = [p[1] for p in points] + [t.value for t in targets if math.isfinite(t.value)]
    frame = Frame(*_bounds(min(xs), max(xs)), *_bounds(min(*ys, 0.0), max(ys)))
    parts = [_axes(frame, x_label, y_label)]
    parts.extend(_span(frame, span, i) for i, span in enumerate(spans))
    parts.extend(_target(frame, t) for t in targets if math.isfinite(t.value))
    for i, line in enumerate(series):
        colour, width = get_colour(i), get_stroke_width(i, len(series))
        coords = " ".join(f"{frame.x(x):.1f},{frame.y(y):.1f}" for x, y in line.points)
        dash = {"stroke_dasharray": get_dash(i)} if get_dash(i) else {}
        parts.append(
            element(
                "polyline", fill="none", stroke=colour, stroke_width=f"{width:.2f}",
                stroke_linejoin="round", points=coords, inner=element("title", text=line.name),
                **dash,
            )
        )  # fmt: skip
        if len(line.points) == 1:
            x, y = line.points[0]
            parts.append(element("circle", cx=frame.x(x), cy=frame.y(y), r=3, fill=colour))
    legend = _legend([(s.name, get_colour(i), get_dash(i)) for i, s in enumerate(series)])
    return _figure(title, parts, about=about, legend=legend)


def bar_chart(
    title: str,
    categories: Sequence[str],
    groups: Sequence[Bars],
    *,
    y_label: str,
    about: str = "",
) -> str:
    """Grouped bars: one group per category, one bar per entry of ``groups``."""
    values = [v for g in groups for v in g.values if math.isfinite(v)]
    if not categories or not values:
        return no_data(title, about)
    frame = Frame(0.0, float(len(categories)), *_bounds(min(*values, 0.0), max(values)))
    parts = [_axes(frame, "", y_label, x_ticks=False)]
    slot = (WIDTH - LEFT - RIGHT) / len(categories)
    width = slot * 0.8 / len(groups)
    for i, name in enumerate(categories):
        parts.append(_text(frame.x(i + 0.5), HEIGHT - BOTTOM + 16, name, anchor="middle"))
    for g, group in enumerate(groups):
        for i, value in enumerate(group.values):
            if not math.isfinite(value):
                continue
            top, base = sorted((frame.y(value), frame.y(0.0)))
            tip = element("title", text=f"{group.name}: {value:g}")
            x = frame.x(i) + slot * 0.1 + g * width
            fill = get_colour(g)
            parts.append(
                element("rect", x=x, y=top, width=width, height=base - top, fill=fill, inner=tip)
            )
    legend = _legend([(g.name, get_colour(i), "") for i, g in enumerate(groups)])
    return _figure(title, parts, about=about, legend=legend)


def element(tag: str, *, text: str = "", inner: str = "", **attrs: str | float) -> str:
    """One SVG element: ``attrs`` (``_`` becomes ``-``), escaped ``text``, raw ``inner``."""
    rendered = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{_attr(value)}"' for name, value in attrs.items()
    )
    content = escape(text) + inner
    return f"<{tag}{rendered}>{content}</{tag}>" if content else f"<{tag}{rendered}/>"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering ``[low, high]``."""
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def format_number(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:g}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:.6g}"


def _is_finite(point: tuple[float, float]) -> bool:
    return math.isfinite(point[0]) and math.isfinite(point[1])


def _bounds(low: float, high: float) -> tuple[float, float]:
    if high > low:
        return low, high
    pad = abs(low) * 0.1 or 1.0
    return low - pad, high + pad


def _axes(frame: Frame, x_label: str, y_label: str, *, x_ticks: bool = True) -> str:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    parts = [
        element("line", x1=LEFT, y1=bottom, x2=right, y2=bottom, stroke="#333"),
        element("line", x1=LEFT, y1=TOP, x2=LEFT, y2=bottom, stroke="#333"),
    ]
    for tick in nice_ticks(frame.y0, frame.y1):
        y = frame.y(tick)
        parts.append(element("line", x1=LEFT, y1=y, x2=right, y2=y, stroke="#eee"))
        parts.append(_text(LEFT - 4, y + 4, format_number(tick), anchor="end"))
    for tick in nice_ticks(frame.x0, frame.x1) if x_ticks else ():
        parts.append(_text(frame.x(tick), bottom + 16, format_number(tick), anchor="middle"))
    parts.append(_text((LEFT + right) / 2, HEIGHT - 6, x_label, anchor="middle"))
    parts.append(_text(12, TOP - 8, y_label))
    return "".join(parts)


def _span(frame: Frame, span: Span, index: int) -> str:
    x = frame.x(span.start)
    label = element("text", class_="mark", x=x + 3, y=TOP + 12 + (index % 4) * 12, text=span.label)
    if span.end is None or span.end <= span.start:
        dash = "4 3"
        return element("line", x1=x, y1=TOP, x2=x, y2=HEIGHT - BOTTOM, stroke="#c00",
                       stroke_dasharray=dash) + label  # fmt: skip
    width = frame.x(span.end) - x
    shade = element("rect", x=x, y=TOP, width=width, height=HEIGHT - TOP - BOTTOM, fill="#f4a",
                    fill_opacity="0.15")  # fmt: skip
    return shade + label


def _target(frame: Frame, target: Target) -> str:
    y = frame.y(target.value)
    line = element("line", class_="target", x1=LEFT, y1=y, x2=WIDTH - RIGHT, y2=y,
                   stroke="#2a7", stroke_width=1.5, stroke_dasharray="8 4")  # fmt: skip
    label = element("text", class_="target", x=WIDTH - RIGHT - 4, y=y - 5, text_anchor="end",
                    text=target.label)  # fmt: skip
    return line + label


def _legend(entries: Sequence[tuple[str, str, str]]) -> str:
    """An HTML list under the chart (it wraps): a sample of each line or bar, and its name."""
    items = []
    for name, colour, dash in entries:
        dashed = {"stroke_dasharray": dash} if dash else {}
        sample = element(
            "svg", xmlns="http://www.w3.org/2000/svg", width=26, height=10, aria_hidden="true",
            inner=element("line", x1=1, y1=5, x2=25, y2=5, stroke=colour, stroke_width=4,
                          **dashed),
        )  # fmt: skip
        items.append(f"<li>{sample}{escape(name)}</li>")
    return f'<ul class="legend">{"".join(items)}</ul>'


def _about(about: str) -> str:
    return f'<p class="about">{escape(about)}</p>' if about else ""


def _text(x: float, y: float, text: str, *, anchor: str = "start") -> str:
    return element("text", x=x, y=y, text_anchor=anchor, text=text)


def _attr(value: str | float) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return escape(str(value))


def _figure(title: str, parts: Sequence[str], *, about: str = "", legend: str = "") -> str:
    svg = element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width="100%",
        preserveAspectRatio="xMidYMid meet",
        role="img",
        aria_label=title,
        inner="".join(parts),
    )
    caption = f"<figcaption>{escape(title)}</figcaption>{_about(about)}"
    return f'<figure class="chart">{caption}{svg}{legend}</figure>'
