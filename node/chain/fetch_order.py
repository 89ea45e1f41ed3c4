"""The order in which to ask connected peers for a payload (pure).

Peers that advertised the payload (the delta's sender, the block's proposer, the peer whose
gossip carried it) come first, in the caller's order. Every other peer follows: those that
answered their last request first, then by estimated answer time, and among equals in an order
drawn from the payload hash, so that no peer can choose an id that puts it first for every
payload (nodes used to ask in peer-id order: issue 12). Backed-off peers are not asked, unless
they advertised the payload: then they come last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from node.chain.fetch_policy import PeerMemory
from node.network.values import PeerId


def compute_spread_key(blob_hash: bytes, peer: PeerId) -> bytes:
    """A per-payload order of peers that no peer id can put first for every payload."""
    return hashlib.sha256(blob_hash + peer.encode()).digest()


def order_candidates(
    connected: Iterable[PeerId],
    advertisers: Sequence[PeerId],
    memory: PeerMemory,
    blob_hash: bytes,
    *,
    now: float,
    unknown_latency_s: float,
) -> list[PeerId]:
    """Connected peers in the order to ask them for ``blob_hash``.

    Advertisers first (in the given order), then the other peers by requests left unanswered
    in a row, estimated answer time (``unknown_latency_s`` for a peer never asked) and spread
    key; backed-off advertisers last, backed-off other peers not at all.
    """
    live = set(connected)
    ready = {p for p in live if not memory.is_backed_off(p, now)}
    named = list(dict.fromkeys(p for p in advertisers if p in live))
    first = [p for p in named if p in ready]
    others = sorted(
        ready.difference(named),
        key=lambda p: (
            memory.get_unanswered(p),
            _get_estimate(memory, p, unknown_latency_s),
            compute_spread_key(blob_hash, p),
        ),
    )
    return first + others + [p for p in named if p not in ready]


def _get_estimate(memory: PeerMemory, peer: PeerId, default: float) -> float:
    latency = memory.get_latency(peer)
    return default if latency is None else latency
