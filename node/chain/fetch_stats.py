"""Counters and latencies of payload fetches, as flat Prometheus samples."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from node.chain.view import compute_percentile


@dataclass
class FetchStats:
    """What the payload fetcher did since the node started."""

    fetches: int = 0
    failed_fetches: int = 0
    """Fetches that ended without the payload."""
    attempts: int = 0
    """Requests to single peers."""
    attempt_failures: int = 0
    hedges: int = 0
    """Requests sent while another request of the same fetch was in flight."""
    timeouts: int = 0
    """Requests with no answer within ``peer_timeout_s``."""
    latencies_s: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def record_fetched(self, seconds: float) -> None:
        self.latencies_s.append(seconds)

    def get_metrics(self, backed_off_peers: int) -> dict[str, float]:
        """Samples named like the node's other metrics (see ``ChainNode.get_metrics``)."""
        metrics: dict[str, float] = {
            "deltachain_payload_fetches_total": self.fetches,
            "deltachain_payload_fetch_failures_total": self.failed_fetches,
            "deltachain_payload_fetch_attempts_total": self.attempts,
            "deltachain_payload_fetch_attempt_failures_total": self.attempt_failures,
            "deltachain_payload_fetch_hedges_total": self.hedges,
            "deltachain_payload_fetch_peer_timeouts_total": self.timeouts,
            "deltachain_payload_backed_off_peers": backed_off_peers,
        }
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            value = compute_percentile(self.latencies_s, q)
            if value is not None:
                metrics[f"deltachain_payload_fetch_latency_{name}_ms"] = value * 1000
        return metrics
