"""Prometheus text exposition format 0.0.4 for the node's metrics.

A sample is keyed by its metric name, optionally with labels: ``name`` or
``name{label="value",...}`` (values escaped as the format requires). A metric whose name ends
in ``_total`` is a counter; ``NAME_bucket``, ``NAME_sum`` and ``NAME_count`` samples form the
histogram ``NAME`` when ``NAME_bucket`` samples exist; every other metric is a gauge. Each metric
gets one ``# TYPE`` line followed by its sample lines ``key value``; names and keys are sorted so
the output is stable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from node.api.errors import ApiError

NAME_PATTERN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_PATTERN = re.compile(rf"(?P<name>{NAME_PATTERN.pattern})(?:\{{{_LABEL}(?:,{_LABEL})*\}})?")


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


def get_metric_name(key: str) -> str:
    """The metric name of a sample key (``name`` or ``name{labels}``); raises
    MetricNameError for an invalid name or label set."""
    match = SAMPLE_PATTERN.fullmatch(key)
    if match is None:
        raise MetricNameError(f"invalid metric name {key!r}")
    return match["name"]


HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def render_metrics(samples: Mapping[str, float]) -> str:
    """The exposition text for ``samples`` (sample key to value)."""
    names = {key: get_metric_name(key) for key in samples}
    histograms = {n.removesuffix("_bucket") for n in names.values() if n.endswith("_bucket")}
    owner = {key: _get_histogram_of(names[key], histograms) or names[key] for key in samples}
    # Histogram samples keep the producer's order (buckets by increasing ``le``, as the format
    # asks); every other family's samples are sorted.
    plain = sorted(key for key in samples if owner[key] not in histograms)
    families: dict[str, list[str]] = {}
    for key in [*plain, *(key for key in samples if owner[key] in histograms)]:
        families.setdefault(owner[key], []).append(f"{key} {format_value(samples[key])}")
    lines: list[str] = []
    for name in sorted(families):
        kind = "histogram" if name in histograms else get_metric_type(name)
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(families[name])
    return "\n".join(lines) + "\n"


def _get_histogram_of(name: str, histograms: set[str]) -> str | None:
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and base in histograms:
            return base
    return None
