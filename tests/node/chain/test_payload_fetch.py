"""The payload fetcher's race (virtual time): hedging, per-peer timeouts, backoff, late answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import trio
import trio.testing

from node.chain.fetch_policy import FetchPolicy
from node.chain.payload_fetch import FetcherNotRunningError, PayloadFetcher
from node.network.errors import (
    HashMismatchError,
    NetworkError,
    NotFoundError,
    PeerUnavailableError,
)

BLOB = b"payload"
HASH = b"\x22" * 32
POLICY = FetchPolicy(hedge_after_s=0.3, peer_timeout_s=2.0, max_in_flight=3)


@dataclass
class Script:
    """How one fake peer answers: after ``delay_s``, ``error`` or the blob; or never."""

    delay_s: float = 0.01
    error: NetworkError | None = None
    silent: bool = False


class FakeSource:
    """Peers that answer as scripted; records who was asked when (a fake, not a mock)."""

    def __init__(self, scripts: dict[str, Script]) -> None:
        self.scripts = scripts
        self.asked: list[tuple[str, float]] = []

    def connected_peers(self) -> frozenset[str]:
        return frozenset(self.scripts)

    async def fetch_blob(self, peer: str, blob_hash: bytes, max_size: int) -> bytes:
        self.asked.append((peer, trio.current_time()))
        script = self.scripts[peer]
        if script.silent:
            await trio.sleep_forever()
        await trio.sleep(script.delay_s)
        if script.error is not None:
            raise script.error
        return BLOB

    def count(self, peer: str) -> int:
        return sum(1 for p, _ in self.asked if p == peer)


@asynccontextmanager
async def running(source: FakeSource, kept: list[bytes]) -> AsyncIterator[PayloadFetcher]:
    fetcher = PayloadFetcher(source, kept.append, POLICY)
    async with trio.open_nursery() as nursery:
        await nursery.start(fetcher.run)
        yield fetcher
        nursery.cancel_scope.cancel()


async def timed_fetch(fetcher: PayloadFetcher, advertisers: list[str]) -> tuple[bool, float]:
    started = trio.current_time()
    ok = await fetcher.fetch(HASH, 100, advertisers)
    return ok, trio.current_time() - started


async def test_payload_fetch_advertiser_answers_alone(
    autojump_clock: trio.testing.MockClock,
) -> None:
    source = FakeSource({"a": Script(silent=True), "sender": Script(0.05)})
    kept: list[bytes] = []
    async with running(source, kept) as fetcher:
        ok, took = await timed_fetch(fetcher, ["sender"])
    assert ok and kept == [BLOB] and took == pytest.approx(0.05)
    assert [p for p, _ in source.asked] == ["sender"]


async def test_payload_fetch_hedges_past_a_silent_peer_and_ranks_it_last(
    autojump_clock: trio.testing.MockClock,
) -> None:
    source = FakeSource({"mute": Script(silent=True), "b": Script(0.01), "c": Script(0.02)})
    async with running(source, []) as fetcher:
        ok, took = await timed_fetch(fetcher, ["mute"])  # as if it had advertised the payload
        assert ok and took == pytest.approx(POLICY.hedge_after_s + 0.01, abs=0.011)
        assert fetcher.stats.hedges == 1
        for _ in range(5):
            ok, took = await timed_fetch(fetcher, [])
            assert ok and took < 0.05
    assert source.count("mute") == 1


async def test_payload_fetch_silent_advertiser_backed_off_after_three_unanswered(
    autojump_clock: trio.testing.MockClock,
) -> None:
    source = FakeSource({"mute": Script(silent=True), "b": Script(0.01)})
    async with running(source, []) as fetcher:
        for _ in range(3):  # each waits one hedge delay for the silent "sender"
            ok, took = await timed_fetch(fetcher, ["mute"])
            assert ok and took == pytest.approx(POLICY.hedge_after_s + 0.01, abs=0.011)
        assert fetcher.memory.is_backed_off("mute", trio.current_time())
        ok, took = await timed_fetch(fetcher, ["mute"])  # now asked last: not waited for
        assert ok and took < 0.05
    assert source.count("mute") == 3


async def test_payload_fetch_failed_peer_replaced_at_once_backed_off_logged_once(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    refused = PeerUnavailableError("cannot open /deltachain/x/blob/1: protocol not supported")
    source = FakeSource({"noproto": Script(0.0, refused), "b": Script(0.01)})
    caplog.set_level(logging.DEBUG, logger="node.chain.payload_fetch")
    async with running(source, []) as fetcher:
        for _ in range(10):
            ok, took = await timed_fetch(fetcher, ["noproto"])
            assert ok and took < 0.05
        await trio.sleep(POLICY.backoff_initial_s)
        for _ in range(10):
            assert (await timed_fetch(fetcher, ["noproto"]))[0]
    assert source.count("noproto") == 2  # once, then once more after its backoff
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and "peer=noproto kind=unavailable" in infos[0].getMessage()
    assert "\n" not in infos[0].getMessage()


async def test_payload_fetch_at_most_max_in_flight_then_gives_up(
    autojump_clock: trio.testing.MockClock,
) -> None:
    source = FakeSource({f"m{i}": Script(silent=True) for i in range(5)})
    async with running(source, []) as fetcher:
        ok, took = await timed_fetch(fetcher, [])
        times = sorted(t for _, t in source.asked)
        assert not ok and len(times) == 5
        assert times == pytest.approx([0.0, 0.3, 0.6, 2.0, 2.3])  # a slot frees on a timeout
        assert took == pytest.approx(4.3)
        assert fetcher.memory.count_backed_off(trio.current_time()) == 5
        assert not (await timed_fetch(fetcher, []))[0] and len(source.asked) == 5


async def test_payload_fetch_late_answer_after_timeout_is_kept(
    autojump_clock: trio.testing.MockClock,
) -> None:
    source = FakeSource({"slow": Script(5.0)})
    kept: list[bytes] = []
    async with running(source, kept) as fetcher:
        ok, took = await timed_fetch(fetcher, ["slow"])
        assert not ok and took == pytest.approx(POLICY.peer_timeout_s) and kept == []
        await trio.sleep(5.0)
        assert kept == [BLOB]  # the request ran on and its answer was stored
        assert not fetcher.memory.is_backed_off("slow", trio.current_time())


async def test_payload_fetch_not_found_everywhere_fails_fast_without_backoff(
    autojump_clock: trio.testing.MockClock,
) -> None:
    missing = NotFoundError("peer does not have it")
    source = FakeSource({p: Script(0.01, missing) for p in "abc"})
    async with running(source, []) as fetcher:
        ok, took = await timed_fetch(fetcher, [])
        assert not ok and took == pytest.approx(0.03)
        assert fetcher.memory.count_backed_off(trio.current_time()) == 0
        assert fetcher.stats.failed_fetches == 1 and fetcher.stats.attempt_failures == 3


async def test_payload_fetch_faulty_peer_backed_off(autojump_clock: trio.testing.MockClock) -> None:
    source = FakeSource({"liar": Script(0.0, HashMismatchError("bad")), "b": Script(0.01)})
    async with running(source, []) as fetcher:
        assert (await timed_fetch(fetcher, ["liar"]))[0]
        assert fetcher.memory.is_backed_off("liar", trio.current_time())
        metrics = fetcher.stats.get_metrics(1)
        assert metrics["deltachain_payload_fetch_attempt_failures_total"] == 1
        assert metrics["deltachain_payload_fetch_latency_p50_ms"] == pytest.approx(10.0)


async def test_payload_fetch_needs_its_run_task() -> None:
    fetcher = PayloadFetcher(FakeSource({}), lambda _data: None, POLICY)
    with pytest.raises(FetcherNotRunningError):
        await fetcher.fetch(HASH, 100, [])
