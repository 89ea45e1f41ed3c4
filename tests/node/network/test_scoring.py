"""The score book: penalties, decay, bans and their expiry (pure, time passed in)."""

from hypothesis import given
from hypothesis import strategies as st

from node.network.config import ScoreParams
from node.network.scoring import (
    Offence,
    ScoreBook,
    get_score,
    is_banned,
    process_expired_bans,
    process_offence,
)

PARAMS = ScoreParams(
    reject_penalty=10.0, violation_penalty=25.0, ban_threshold=-50.0, decay_per_s=1.0, ban_s=60.0
)
PEER = "12D3KooWpeer"


def test_scoring_rejection_costs_less_than_violation() -> None:
    book, _ = process_offence(ScoreBook(PARAMS), PEER, Offence.REJECTED_MESSAGE, now=0.0)
    assert get_score(book, PEER, 0.0) == -10.0
    book, _ = process_offence(book, PEER, Offence.HASH_MISMATCH, now=0.0)
    assert get_score(book, PEER, 0.0) == -35.0


def test_scoring_decays_back_to_zero_and_not_above() -> None:
    book, _ = process_offence(ScoreBook(PARAMS), PEER, Offence.MALFORMED_FRAME, now=0.0)
    assert get_score(book, PEER, 10.0) == -15.0
    assert get_score(book, PEER, 100.0) == 0.0


def test_scoring_bans_under_threshold_then_releases() -> None:
    book = ScoreBook(PARAMS)
    banned = False
    for offence in (Offence.MALFORMED_FRAME, Offence.OVERSIZED_FRAME, Offence.HASH_MISMATCH):
        book, banned = process_offence(book, PEER, offence, now=1.0)
    assert banned and is_banned(book, PEER, 1.0)
    assert get_score(book, PEER, 1.0) == 0.0
    assert process_offence(book, PEER, Offence.MALFORMED_FRAME, now=2.0) == (book, False)
    still, released = process_expired_bans(book, now=60.9)
    assert released == [] and still is book
    after, released = process_expired_bans(book, now=61.0)
    assert released == [PEER] and not is_banned(after, PEER, 61.0)


def test_scoring_offence_leaves_old_book_untouched() -> None:
    book = ScoreBook(PARAMS)
    process_offence(book, PEER, Offence.REJECTED_MESSAGE, now=0.0)
    assert get_score(book, PEER, 0.0) == 0.0


@given(st.lists(st.sampled_from(list(Offence)), max_size=30), st.floats(0, 1000))
def test_scoring_score_never_positive_and_ban_resets(offences: list[Offence], step: float) -> None:
    book, now = ScoreBook(PARAMS), 0.0
    for offence in offences:
        book, banned = process_offence(book, PEER, offence, now)
        score = get_score(book, PEER, now)
        assert score <= 0.0
        assert score >= PARAMS.ban_threshold
        assert banned is False or (is_banned(book, PEER, now) and score == 0.0)
        now += step / 30
