"""The peer guard never raises to its caller, and counts what peers did for ``/metrics``."""

import trio.testing

from node.network.config import ScoreParams
from node.network.guard import PeerGuard
from node.network.peer_metrics import PeerMetrics, get_sample_name
from node.network.scoring import Offence
from node.network.validation import judge_gossip
from node.network.values import PeerId, Verdict

PEER = "12D3KooWPeer"
PARAMS = ScoreParams(ban_s=10.0)


def raise_bug(_peer: PeerId) -> None:
    raise RuntimeError("bug in a ban callback")


async def test_guard_penalize_survives_a_raising_ban_callback() -> None:
    guard = PeerGuard(PARAMS, raise_bug, raise_bug)
    for _ in range(3):
        guard.penalize(PEER, Offence.MALFORMED_FRAME)
    assert guard.is_banned(PEER)
    assert guard.metrics.bans == 1


async def test_guard_ban_expiry_survives_a_raising_unban_callback(
    autojump_clock: trio.testing.MockClock,
) -> None:
    guard = PeerGuard(PARAMS, lambda _peer: None, raise_bug)
    for _ in range(3):
        guard.penalize(PEER, Offence.MALFORMED_FRAME)
    with trio.move_on_after(PARAMS.ban_s + 2):
        await guard.run_expiry(period_s=1.0)
    assert not guard.is_banned(PEER)


async def test_guard_metrics_score_connected_peers_and_count_by_reason() -> None:
    guard = PeerGuard(PARAMS, lambda _peer: None, lambda _peer: None)
    guard.penalize(PEER, Offence.REJECTED_MESSAGE)
    for _ in range(3):
        guard.penalize("12D3KooWOther", Offence.OVERSIZED_FRAME)
    samples = guard.get_metrics(frozenset({PEER, "12D3KooWQuiet"}))
    assert samples['deltachain_peer_score{peer="12D3KooWPeer"}'] < 0
    assert samples['deltachain_peer_score{peer="12D3KooWQuiet"}'] == 0
    assert 'deltachain_peer_score{peer="12D3KooWOther"}' not in samples  # not connected
    assert samples['deltachain_peer_rejections_total{reason="rejected-message"}'] == 1
    assert samples['deltachain_peer_rejections_total{reason="oversized-frame"}'] == 3
    assert samples['deltachain_peer_rejections_total{reason="hash-mismatch"}'] == 0
    assert samples["deltachain_peer_bans_total"] == 1
    assert samples["deltachain_peers_banned"] == 1


async def test_judge_gossip_counts_ignores_by_reason() -> None:
    guard = PeerGuard(PARAMS, lambda _peer: None, lambda _peer: None)

    def validator(_peer: PeerId, data: bytes) -> Verdict:
        if data == b"bug":
            raise ValueError("validator bug")
        return Verdict.IGNORE

    for data in (b"later", b"later too", b"bug"):
        judge_gossip(
            guard, forwarder=PEER, topic="t", data=data, validator=validator, max_bytes=100
        )
    samples = guard.get_metrics(frozenset())
    assert samples['deltachain_gossip_ignored_total{reason="validator"}'] == 2
    assert samples['deltachain_gossip_ignored_total{reason="validator-error"}'] == 1
    assert samples['deltachain_gossip_ignored_total{reason="blocked-peer"}'] == 0


def test_fetch_metrics_by_peer_forget_the_least_recent_peer() -> None:
    metrics = PeerMetrics(max_fetch_peers=2)
    metrics.record_fetch("a", "blob", 0.5)
    metrics.record_fetch("a", "blob", 1.0, "StreamTimeoutError")
    metrics.record_fetch("b", "status", 0.1)
    metrics.record_fetch("a", "blocks", 0.2)  # "a" seen last: "b" is forgotten first
    metrics.record_fetch("c", "blob", 0.3)
    samples = metrics.get_samples({}, 0)
    assert samples['deltachain_peer_fetches_total{peer="a",protocol="blob"}'] == 2
    assert samples['deltachain_peer_fetch_seconds_total{peer="a",protocol="blob"}'] == 1.5
    failures = (
        'deltachain_peer_fetch_failures_total{error="StreamTimeoutError",peer="a",protocol="blob"}'
    )
    assert samples[failures] == 1
    assert 'deltachain_peer_fetches_total{peer="c",protocol="blob"}' in samples
    assert not any('peer="b"' in name for name in samples)


def test_sample_names_escape_label_values() -> None:
    assert get_sample_name("m") == "m"
    assert get_sample_name("m", b="2", a='q"\\\n') == 'm{a="q\\"\\\\\\n",b="2"}'
