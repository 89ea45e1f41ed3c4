"""What the runner accumulates: blocks per node, model versions, finality and rounds."""

from __future__ import annotations

from typing import Any

from node.scenario.observe import BlockRow, ModelRow
from node.scenario.report import FinalityPoint, VersionPoint
from node.scenario.tracking import (
    BlockLog,
    VersionLog,
    compute_finality_points,
    compute_rounds_per_height,
)


def block_reply(height: int, round_: int = 0, time_ms: int = 0) -> dict[str, Any]:
    return {"height": height, "hash": f"h{height}", "round": round_, "header": {"time_ms": time_ms}}


def test_block_log_fetches_in_order_up_to_the_limit() -> None:
    replies = {f"/blocks/{h}": block_reply(h) for h in range(1, 8)}
    log = BlockLog()
    assert log.catch_up(replies.get, 7, limit=3) == 3
    assert log.height == 3
    assert log.catch_up(replies.get, 7) == 4
    assert log.hashes() == {h: f"h{h}" for h in range(1, 8)}
    assert log.catch_up(replies.get, 7) == 0


def test_block_log_stops_at_the_first_missing_height() -> None:
    replies = {f"/blocks/{h}": block_reply(h) for h in (1, 2, 4)}
    log = BlockLog()
    assert log.catch_up(replies.get, 4) == 2
    assert log.height == 2


def test_version_log_keeps_first_sighting_and_fills_late_accuracy() -> None:
    log = VersionLog()
    log.update([ModelRow(1, "m1", 5, None)], 10.0)
    log.update([ModelRow(1, "m1", 5, 0.5), ModelRow(2, "m2", 8, 0.91)], 12.0)
    assert log.ordered() == [VersionPoint(1, 5, 10.0, 0.5), VersionPoint(2, 8, 12.0, 0.91)]
    assert log.first_reaching(0.9) == VersionPoint(2, 8, 12.0, 0.91)
    assert log.first_reaching(0.95) is None


def test_finality_points_from_header_gaps_skip_heights_followed_by_round_changes() -> None:
    blocks = {
        1: BlockRow(1, "a", 0, 10_000),
        2: BlockRow(2, "b", 0, 10_600),
        3: BlockRow(3, "c", 2, 13_000),
        4: BlockRow(4, "d", 0, 13_450),
    }
    points = compute_finality_points(blocks, start_wall_ms=9_000, commit_timeout_ms=100)
    assert points == [FinalityPoint(1.0, 1, 500.0), FinalityPoint(4.0, 3, 350.0)]


def test_rounds_per_height_is_the_mean_round_count() -> None:
    assert compute_rounds_per_height({}) is None
    blocks = {1: BlockRow(1, "a", 0, 0), 2: BlockRow(2, "b", 1, 1), 3: BlockRow(3, "c", 0, 2)}
    assert compute_rounds_per_height(blocks) == 4 / 3
