"""Where a model version's time goes: latency histograms of the learning loop's steps.

One model version passes through these spans on a training node (all in seconds):

- ``train``: the worker trains (job handed over to result back);
- ``encode``: the delta is encoded, stored as a blob, signed and handed to the mempool;
- ``submit_to_included``: our delta transaction waits until a proposal carrying it arrives;
- ``included_to_final``: that proposal becomes a final block;
- ``final_to_derived``: the block that made a task ready is aggregated into the next version;
- ``derived_to_worker``: the new version is handed to the training worker.

``SpanHistograms`` keeps Prometheus-style cumulative buckets, a sum and a count per span and
renders them as ``deltachain_span_seconds`` samples; ``DeltaTimeline`` pairs the events of one
delta transaction (submitted, seen in a proposal, final) and of one version (derived) that
happen in different parts of the node. Everything is bounded: old entries are dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

SPANS = (
    "train",
    "encode",
    "submit_to_included",
    "included_to_final",
    "final_to_derived",
    "derived_to_worker",
)
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METRIC = "deltachain_span_seconds"
MAX_TRACKED = 256
"""Transactions and versions whose timestamps are kept at once (oldest dropped first)."""


@dataclass
class Histogram:
    """Cumulative bucket counts for ``BUCKETS_S`` (and +Inf), sum and count of observations."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS_S))
    total_s: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        for index, bound in enumerate(BUCKETS_S):
            if seconds <= bound:
                self.buckets[index] += 1
        self.total_s += seconds
        self.count += 1

    @property
    def mean_s(self) -> float | None:
        return self.total_s / self.count if self.count else None


class SpanHistograms:
    """One histogram per span name of ``SPANS``."""

    def __init__(self) -> None:
        self.histograms = {name: Histogram() for name in SPANS}

    def observe(self, span: str, seconds: float) -> None:
        """Record one observation; raises KeyError for a span not in ``SPANS``."""
        self.histograms[span].observe(seconds)

    def get_samples(self) -> dict[str, float]:
        """Prometheus samples: ``_bucket{span,le}``, ``_sum{span}`` and ``_count{span}``."""
        samples: dict[str, float] = {}
        for span, histogram in self.histograms.items():
            for bound, count in zip(BUCKETS_S, histogram.buckets, strict=True):
                samples[f'{METRIC}_bucket{{span="{span}",le="{bound}"}}'] = count
            samples[f'{METRIC}_bucket{{span="{span}",le="+Inf"}}'] = histogram.count
            samples[f'{METRIC}_sum{{span="{span}"}}'] = histogram.total_s
            samples[f'{METRIC}_count{{span="{span}"}}'] = histogram.count
        return samples

    def get_summary(self) -> dict[str, dict[str, float | int | None]]:
        """Mean and count per span (what benchmarks report)."""
        return {
            span: {"count": h.count, "mean_ms": None if h.mean_s is None else h.mean_s * 1000}
            for span, h in self.histograms.items()
        }


class _Bounded(OrderedDict[bytes, float]):
    def remember(self, key: bytes, value: float) -> None:
        self.setdefault(key, value)
        while len(self) > MAX_TRACKED:
            self.popitem(last=False)


class DeltaTimeline:
    """Pairs the timestamps (monotonic seconds) of our delta transactions and new versions."""

    def __init__(self, spans: SpanHistograms) -> None:
        self.spans = spans
        self._submitted = _Bounded()
        self._included = _Bounded()
        self._derived: OrderedDict[tuple[int, int], float] = OrderedDict()
        self.first_job_unix_s: float | None = None
        """Wall-clock time the first training job reached the worker (when learning began)."""

    def on_submitted(self, tx_hash: bytes, now_s: float) -> None:
        self._submitted.remember(tx_hash, now_s)

    def on_proposal(self, tx_hashes: Iterable[bytes], now_s: float) -> None:
        """A proposal arrived (or we made one): our transactions in it are now included."""
        for tx_hash in tx_hashes:
            submitted = self._submitted.pop(tx_hash, None)
            if submitted is not None:
                self.spans.observe("submit_to_included", now_s - submitted)
                self._included.remember(tx_hash, now_s)

    def on_final(self, tx_hashes: Iterable[bytes], now_s: float) -> None:
        for tx_hash in tx_hashes:
            included = self._included.pop(tx_hash, None)
            if included is not None:
                self.spans.observe("included_to_final", now_s - included)

    def on_derived(self, task_id: int, version: int, now_s: float) -> None:
        self._derived[(task_id, version)] = now_s
        while len(self._derived) > MAX_TRACKED:
            self._derived.popitem(last=False)

    def on_handed_to_worker(self, task_id: int, version: int, now_s: float) -> None:
        """The worker has the job for ``version``; counted once per version."""
        derived = self._derived.pop((task_id, version), None)
        if derived is not None:
            self.spans.observe("derived_to_worker", now_s - derived)

    def get_samples(self) -> dict[str, float]:
        """The span histograms' samples and, once known, when learning began."""
        samples = self.spans.get_samples()
        if self.first_job_unix_s is not None:
            samples["deltachain_learning_started_timestamp_seconds"] = self.first_job_unix_s
        return samples
