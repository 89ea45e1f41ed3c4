"""Prometheus text exposition format 0.0.4 for the node's flat metrics.

A metric whose name ends in ``_total`` is a counter, every other one a gauge. Each metric gets a
``# TYPE`` line and one sample line ``name value``; names are sorted so the output is stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from node.api.errors import ApiError

NAME_PATTERN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


class MetricNameError(ApiError):
    """A metric name is not a valid Prometheus name (a bug in whoever produced it)."""


def get_metric_type(name: str) -> str:
    return "counter" if name.endswith("_total") else "gauge"


def format_value(value: float) -> str:
    """Integers without a decimal point; NaN and infinities as Prometheus spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**63:
        return str(int(value))
    return repr(float(value))


def render_metrics(samples: Mapping[str, float]) -> str:
    """The exposition text for ``samples`` (metric name to value)."""
    lines: list[str] = []
    for name in sorted(samples):
        if not NAME_PATTERN.fullmatch(name):
            raise MetricNameError(f"invalid metric name {name!r}")
        lines.append(f"# TYPE {name} {get_metric_type(name)}")
        lines.append(f"{name} {format_value(samples[name])}")
    return "\n".join(lines) + "\n"
