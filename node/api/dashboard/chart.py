"""Line charts as inline SVG: axes, a few ticks, one line, a mark per point (with a tooltip).

Pure: points in, markup out. The SVG scales to its container (``viewBox``); colours come from
the stylesheet (classes ``line``, ``point``, ``axis``, ``grid``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from node.api.dashboard.html import Html, tag

Point = tuple[float, float]
MAX_MARKS = 400
"""Above this many points only the line is drawn (the page stays light)."""


@dataclass(frozen=True)
class ChartSpec:
    """What a chart says about its data."""

    label: str
    x_name: str
    y_name: str
    y_range: tuple[float, float] | None = None
    """Fixed y bounds (accuracy: 0 to 1); None fits the data."""
    y_format: Callable[[float], str] = lambda y: f"{y:g}"
    width: int = 720
    height: int = 220


@dataclass(frozen=True)
class _Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    spec: ChartSpec
    left: int = 56
    right: int = 12
    top: int = 12
    bottom: int = 34

    def px(self, x: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (x - self.x0) / span * (self.spec.width - self.left - self.right)

    def py(self, y: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        inner = self.spec.height - self.top - self.bottom
        return self.top + (1 - (y - self.y0) / span) * inner


def render_line_chart(points: Sequence[Point], spec: ChartSpec) -> Html:
    """The chart of ``points`` (sorted by x); a note instead when there is none."""
    if not points:
        return tag("p", f"No {spec.y_name} yet.", class_="empty")
    frame = _frame(points, spec)
    line = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in points)
    body = [
        *_grid(frame),
        tag("polyline", class_="line", points=line, fill="none"),
        *(_marks(points, frame) if len(points) <= MAX_MARKS else ()),
    ]
    size = f"0 0 {spec.width} {spec.height}"
    return tag(
        "svg",
        tag("title", spec.label),
        body,
        class_="chart",
        viewBox=size,
        role="img",
        aria_label=spec.label,
        data_points=len(points),
    )


def _frame(points: Sequence[Point], spec: ChartSpec) -> _Frame:
    xs = [x for x, _ in points]
    if spec.y_range is not None:
        y0, y1 = spec.y_range
    else:
        ys = [y for _, y in points]
        pad = (max(ys) - min(ys)) * 0.1 or abs(max(ys)) * 0.1 or 1.0
        y0, y1 = max(0.0, min(ys) - pad), max(ys) + pad
    return _Frame(min(xs), max(xs), y0, y1, spec)


def _grid(frame: _Frame) -> list[Html]:
    spec, parts = frame.spec, []
    bottom, right = spec.height - frame.bottom, spec.width - frame.right
    for i in range(5):
        y = frame.y0 + (frame.y1 - frame.y0) * i / 4
        py = f"{frame.py(y):.1f}"
        parts.append(tag("line", class_="grid", x1=frame.left, x2=right, y1=py, y2=py))
        parts.append(tag("text", spec.y_format(y), x=frame.left - 6, y=py, class_="tick y"))
    for x in _x_ticks(frame.x0, frame.x1):
        px = f"{frame.px(x):.1f}"
        parts.append(tag("text", f"{x:,.0f}", x=px, y=bottom + 16, class_="tick x"))
    parts.append(tag("line", class_="axis", x1=frame.left, x2=right, y1=bottom, y2=bottom))
    parts.append(tag("line", class_="axis", x1=frame.left, x2=frame.left, y1=frame.top, y2=bottom))
    parts.append(tag("text", spec.x_name, x=right, y=spec.height - 2, class_="axis-name"))
    return parts


def _x_ticks(x0: float, x1: float, count: int = 6) -> list[float]:
    if x1 <= x0:
        return [x0]
    step = max(1.0, round((x1 - x0) / (count - 1)))
    ticks, x = [], x0
    while x <= x1 + 1e-9:
        ticks.append(x)
        x += step
    return ticks


def _marks(points: Sequence[Point], frame: _Frame) -> list[Html]:
    spec = frame.spec
    return [
        tag(
            "circle",
            tag("title", f"{spec.x_name} {x:,.0f}: {spec.y_name} {spec.y_format(y)}"),
            class_="point",
            cx=f"{frame.px(x):.1f}",
            cy=f"{frame.py(y):.1f}",
            r=3,
            data_x=f"{x:g}",
            data_y=f"{y:g}",
        )
        for x, y in points
    ]
