"""The race bookkeeping of one fetch (pure apart from cancel scopes): hedge schedule, no busy
wake-ups at any clock value."""

from hypothesis import given
from hypothesis import strategies as st

from node.chain.fetch_policy import FetchPolicy
from node.chain.fetch_race import Race

PEERS = [f"p{i}" for i in range(6)]


def drive(race: Race, now: float) -> None:
    """Launch what is due, as the fetcher does."""
    while race.is_launch_due(now):
        race.add(race.queue.popleft(), now)


def test_fetch_race_one_more_peer_per_hedge_period_up_to_the_cap() -> None:
    policy = FetchPolicy(hedge_after_s=0.3, max_in_flight=3)
    race = Race(b"h", 10, 100.0, policy, PEERS)
    launched: list[float] = []
    now = 100.0
    while now < 101.5:
        drive(race, now)
        launched = [a.started for a in race.attempts]
        now = race.get_wake_time(now)
    assert [round(t - 100.0, 6) for t in launched] == [0.0, 0.3, 0.6]


@given(
    st.floats(0.0, 1e6, allow_nan=False),
    st.floats(0.01, 5.0),
    st.integers(1, 5),
    st.floats(0.05, 10.0),
)
def test_fetch_race_every_wake_up_moves_the_clock(
    started: float, hedge_s: float, max_in_flight: int, timeout_s: float
) -> None:
    policy = FetchPolicy(
        hedge_after_s=hedge_s, max_in_flight=max_in_flight, peer_timeout_s=timeout_s
    )
    race = Race(b"h", 10, started, policy, PEERS)
    now = started
    for _ in range(50):
        for attempt in race.get_active():  # the fetcher's order: expire, then launch
            if now >= attempt.started + timeout_s:
                attempt.expired = True
        drive(race, now)
        if not race.get_active() or now >= race.deadline:  # where the fetcher gives up
            break
        wake = race.get_wake_time(now)
        assert wake > now
        now = wake
