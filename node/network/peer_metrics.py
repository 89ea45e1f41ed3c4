"""Peer-level counters for ``/metrics``: rejections and ignores by reason, bans, fetches by peer.

:class:`PeerMetrics` is a plain registry that the peer guard, the gossip judgement and the
fetch wrappers of the network write into; :meth:`PeerMetrics.get_samples` turns it into
Prometheus samples keyed ``name`` or ``name{label="value",...}`` (the node's ``/metrics``
renders them). A name ending in ``_total`` is a counter, any other a gauge. Counters carry no
peer label except the fetch counters, which keep at most ``max_fetch_peers`` peers (the least
recently seen is forgotten) so that churn cannot grow ``/metrics`` without bound.
"""

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from node.network.scoring import Offence
from node.network.values import PeerId

MAX_FETCH_PEERS = 256


class IgnoreReason(enum.Enum):
    """Why inbound gossip was dropped without scoring its forwarder."""

    VALIDATOR = "validator"
    """The topic's validator said IGNORE (e.g. a vote of another height)."""
    VALIDATOR_ERROR = "validator-error"
    """The topic's validator raised (our bug, logged with its traceback)."""
    BLOCKED_PEER = "blocked-peer"
    """The forwarder is on the operator's block list."""


@dataclass
class FetchRecord:
    """Exchanges we ran as the client with one peer on one protocol."""

    fetches: int = 0
    seconds: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    """Failed exchanges by error class."""


def get_sample_name(name: str, **labels: str) -> str:
    """``name{key="value",...}`` (keys sorted), values escaped as the text format requires."""
    if not labels:
        return name
    pairs = ",".join(f'{key}="{_escape(labels[key])}"' for key in sorted(labels))
    return f"{name}{{{pairs}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class PeerMetrics:
    """What peers did to this node and what it did to them, since it started."""

    def __init__(self, max_fetch_peers: int = MAX_FETCH_PEERS) -> None:
        self.rejections: Counter[Offence] = Counter()
        self.ignores: Counter[IgnoreReason] = Counter()
        self.bans = 0
        self._max_fetch_peers = max_fetch_peers
        self._fetches: dict[PeerId, dict[str, FetchRecord]] = {}

    def record_offence(self, offence: Offence) -> None:
        self.rejections[offence] += 1

    def record_ignore(self, reason: IgnoreReason) -> None:
        self.ignores[reason] += 1

    def record_ban(self) -> None:
        self.bans += 1

    def record_fetch(
        self, peer: PeerId, protocol: str, seconds: float, failure: str | None = None
    ) -> None:
        """One client exchange with ``peer``; ``failure`` names the error class if it failed."""
        by_protocol = self._fetches.pop(peer, None) or {}
        self._fetches[peer] = by_protocol  # most recently seen last
        while len(self._fetches) > self._max_fetch_peers:
            del self._fetches[next(iter(self._fetches))]
        record = by_protocol.setdefault(protocol, FetchRecord())
        record.fetches += 1
        record.seconds += max(0.0, seconds)
        if failure is not None:
            record.failures[failure] += 1

    def get_samples(self, scores: Mapping[PeerId, float], banned: int) -> dict[str, float]:
        """Samples for ``/metrics``; ``scores`` of the connected peers, ``banned`` now."""
        samples: dict[str, float] = {
            "deltachain_peer_bans_total": self.bans,
            "deltachain_peers_banned": banned,
        }
        for peer, score in scores.items():
            samples[get_sample_name("deltachain_peer_score", peer=peer)] = score
        for offence in Offence:
            name = get_sample_name("deltachain_peer_rejections_total", reason=offence.value)
            samples[name] = self.rejections[offence]
        for reason in IgnoreReason:
            name = get_sample_name("deltachain_gossip_ignored_total", reason=reason.value)
            samples[name] = self.ignores[reason]
        samples.update(self._get_fetch_samples())
        return samples

    def _get_fetch_samples(self) -> dict[str, float]:
        samples: dict[str, float] = {}
        for peer, by_protocol in self._fetches.items():
            for protocol, record in by_protocol.items():
                labels = {"peer": peer, "protocol": protocol}
                samples[get_sample_name("deltachain_peer_fetches_total", **labels)] = record.fetches
                samples[get_sample_name("deltachain_peer_fetch_seconds_total", **labels)] = (
                    record.seconds
                )
                for error, count in record.failures.items():
                    name = get_sample_name(
                        "deltachain_peer_fetch_failures_total", error=error, **labels
                    )
                    samples[name] = count
        return samples
