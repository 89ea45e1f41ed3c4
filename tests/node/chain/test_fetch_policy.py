"""Payload fetch policy and order (pure): candidates, backoff, unanswered requests, estimates."""

from hypothesis import given
from hypothesis import strategies as st

from node.chain.fetch_order import order_candidates
from node.chain.fetch_policy import FailureKind, FetchPolicy, PeerMemory, compute_backoff

POLICY = FetchPolicy(backoff_initial_s=5.0, backoff_max_s=40.0, peer_timeout_s=2.0)
HASH = b"\x11" * 32


def order(
    connected: set[str], advertisers: list[str], memory: PeerMemory, now: float = 0.0
) -> list[str]:
    return order_candidates(
        connected, advertisers, memory, HASH, now=now, unknown_latency_s=POLICY.hedge_after_s
    )


def test_fetch_policy_advertisers_first_in_given_order() -> None:
    got = order({"a", "b", "c", "d"}, ["d", "b", "d", "zz-not-connected"], PeerMemory(POLICY))
    assert got[:2] == ["d", "b"] and sorted(got[2:]) == ["a", "c"]


def test_fetch_policy_first_other_peer_depends_on_the_payload_not_the_id() -> None:
    peers = {f"12D3KooW{i}" for i in range(5)}
    firsts = {
        order_candidates(
            peers, [], PeerMemory(POLICY), bytes([i]) * 32, now=0.0, unknown_latency_s=0.3
        )[0]
        for i in range(40)
    }
    assert len(firsts) > 2  # peer-id order would always put the same peer first


def test_fetch_policy_fast_peers_before_unknown_before_slow() -> None:
    memory = PeerMemory(POLICY)
    memory.record_answer("fast", 0.01)
    memory.record_answer("slow", 1.5)
    assert order({"slow", "unknown", "fast"}, [], memory) == ["fast", "unknown", "slow"]


def test_fetch_policy_unanswered_peer_after_slow_ones_until_it_answers() -> None:
    memory = PeerMemory(POLICY)
    memory.record_answer("loaded", 1.9)
    assert memory.record_unanswered("mute", 0.3, now=0.0) is None  # looks "faster" than loaded
    assert order({"mute", "loaded", "new"}, [], memory) == ["new", "loaded", "mute"]
    memory.record_answer("mute", 0.05)  # "not found" is an answer too
    assert order({"mute", "loaded"}, [], memory) == ["mute", "loaded"]


def test_fetch_policy_backoff_after_max_unanswered_in_a_row() -> None:
    memory = PeerMemory(POLICY)
    assert memory.record_unanswered("mute", 0.3, now=0.0) is None
    assert memory.record_unanswered("mute", 0.3, now=1.0) is None
    assert memory.record_unanswered("mute", 0.3, now=2.0) == POLICY.backoff_initial_s
    assert memory.is_backed_off("mute", 6.9) and not memory.is_backed_off("mute", 7.0)


def test_fetch_policy_backed_off_peer_skipped_but_backed_off_advertiser_last() -> None:
    memory = PeerMemory(POLICY)
    memory.record_failure("mute", FailureKind.TIMEOUT, now=0.0)
    memory.record_failure("sender", FailureKind.UNAVAILABLE, now=0.0)
    assert order({"mute", "sender", "ok"}, ["sender"], memory, now=1.0) == ["ok", "sender"]
    assert "mute" in order({"mute", "sender", "ok"}, ["sender"], memory, now=5.0)


def test_fetch_policy_backoff_doubles_caps_and_ends_on_success() -> None:
    memory = PeerMemory(POLICY)
    backoffs = [memory.record_failure("p", FailureKind.UNAVAILABLE, now=0.0) for _ in range(6)]
    assert backoffs == [5.0, 10.0, 20.0, 40.0, 40.0, 40.0]
    assert memory.is_backed_off("p", 39.9) and not memory.is_backed_off("p", 40.0)
    assert memory.count_backed_off(1.0) == 1
    memory.record_answer("p", 0.02)
    assert not memory.is_backed_off("p", 1.0) and memory.get("p").failures == 0


def test_fetch_policy_timeout_counts_as_slow_and_unanswered() -> None:
    memory = PeerMemory(POLICY)
    memory.record_failure("p", FailureKind.TIMEOUT, now=0.0)
    assert memory.get_latency("p") == POLICY.peer_timeout_s and memory.get_unanswered("p") == 1


def test_fetch_policy_memory_is_bounded() -> None:
    memory = PeerMemory(POLICY)
    for i in range(5000):
        memory.record_answer(f"p{i}", 0.1)
    assert memory.get_latency("p0") is None and memory.get_latency("p4999") == 0.1


@given(st.integers(1, 100))
def test_fetch_policy_backoff_within_bounds(failures: int) -> None:
    assert POLICY.backoff_initial_s <= compute_backoff(POLICY, failures) <= POLICY.backoff_max_s


@given(
    st.sets(st.sampled_from("abcdefgh")),
    st.lists(st.sampled_from("abcdefghxyz")),
    st.sets(st.sampled_from("abcdefgh")),
)
def test_fetch_policy_order_is_connected_peers_once_each(
    connected: set[str], advertisers: list[str], failed: set[str]
) -> None:
    memory = PeerMemory(POLICY)
    for peer in failed:
        memory.record_failure(peer, FailureKind.FAULT, now=0.0)
    got = order(connected, advertisers, memory, now=1.0)
    assert len(got) == len(set(got)) and set(got) <= connected
    expected = (connected - failed) | (connected & set(advertisers))
    assert set(got) == expected
