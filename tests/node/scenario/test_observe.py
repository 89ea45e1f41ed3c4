"""Reading node API replies: the documented shapes parse, any other shape is a clear error."""

from __future__ import annotations

from typing import Any

import pytest

from node.scenario.observe import (
    AccountRow,
    BlockRow,
    ContributionRow,
    ModelRow,
    ObserveError,
    StatusRow,
    fetch_account,
    fetch_block,
    fetch_contributions,
    fetch_models,
    fetch_status,
    fetch_tombstoned,
    fetch_validators,
)

A, B = "aa" * 32, "bb" * 32
STATUS = {
    "height": 12, "round": 0, "peers": 3, "peer_id": "12D3KooWabc", "models": {"1": 4},
    "finality_p50_ms": 120.5, "finality_p99_ms": None, "step": "propose",
}  # fmt: skip
REPLIES: dict[str, dict[str, Any]] = {
    "/status": STATUS,
    "/blocks/3": {"height": 3, "hash": "h3", "round": 1, "header": {"time_ms": 1_700}},
    "/tasks/1/models": {
        "models": [
            {"version": 2, "model_hash": "m2", "height": 9, "accuracy": 0.8},
            {"version": 1, "model_hash": "m1", "height": 5, "accuracy": None},
        ]
    },
    f"/accounts/{A}": {
        "balance": 10,
        "bonded": 90,
        "unbonding": [{"amount": 5, "release_height": 60}],
    },
    "/validators": {"validators": [{"address": A, "power": 1}, {"address": B, "power": 2}]},
    "/candidates": {
        "candidates": [{"address": A, "tombstoned": True}, {"address": B, "tombstoned": False}]
    },
    "/tasks/1/models/1/contributions": {
        "contributions": [{"sender": A, "accepted": True, "reward": 7, "tx_hash": "t"}]
    },
}


def test_observe_parses_documented_replies() -> None:
    fetch = REPLIES.get
    assert fetch_status(fetch) == StatusRow(12, 0, 3, "12D3KooWabc", 4, 120.5, None)
    assert fetch_block(fetch, 3) == BlockRow(3, "h3", 1, 1_700)
    assert fetch_models(fetch) == [ModelRow(1, "m1", 5, None), ModelRow(2, "m2", 9, 0.8)]
    assert fetch_account(fetch, A) == AccountRow(10, 90, 5)
    assert fetch_validators(fetch) == frozenset({A, B})
    assert fetch_tombstoned(fetch) == frozenset({A})
    assert fetch_contributions(fetch, 1) == [ContributionRow(A, True, 7)]


def test_observe_silent_node_gives_none() -> None:
    nothing: dict[str, dict[str, Any]] = {}
    fetch = nothing.get
    assert fetch_status(fetch) is None
    assert fetch_block(fetch, 1) is None
    assert fetch_models(fetch) is None
    assert fetch_account(fetch, A) is None
    assert fetch_validators(fetch) is None
    assert fetch_tombstoned(fetch) is None
    assert fetch_contributions(fetch, 1) is None


def test_observe_status_without_task_reports_version_zero() -> None:
    replies = {"/status": {**STATUS, "models": {}}}
    status = fetch_status(replies.get)
    assert status is not None and status.model_version == 0


@pytest.mark.parametrize(
    ("path", "reply", "message"),
    [
        ("/status", {**STATUS, "height": "12"}, "'height' is not int"),
        ("/status", {**STATUS, "height": True}, "'height' is not int"),
        ("/status", {**STATUS, "models": {"1": "x"}}, "model version"),
        ("/status", {**STATUS, "finality_p50_ms": "fast"}, "'finality_p50_ms' is not float"),
        ("/blocks/3", {"height": 4, "hash": "h", "round": 0, "header": {"time_ms": 1}}, "height 4"),
        ("/blocks/3", {"height": 3, "hash": "h", "round": 0, "header": []}, "'header'"),
        ("/tasks/1/models", {"models": ["v1"]}, "not an object"),
        ("/tasks/1/models", {"models": None}, "'models' is not list"),
        (f"/accounts/{A}", {"balance": 1, "bonded": 2, "unbonding": [3]}, "not an object"),
        ("/validators", {"validators": [{"power": 1}]}, "'address'"),
        ("/candidates", {"candidates": [{"address": A, "tombstoned": 1}]}, "'tombstoned'"),
    ],
)
def test_observe_bad_reply_shape_is_a_clear_error(
    path: str, reply: dict[str, Any], message: str
) -> None:
    fetch = {path: reply}.get
    calls = {
        "/status": lambda: fetch_status(fetch),
        "/blocks/3": lambda: fetch_block(fetch, 3),
        "/tasks/1/models": lambda: fetch_models(fetch),
        f"/accounts/{A}": lambda: fetch_account(fetch, A),
        "/validators": lambda: fetch_validators(fetch),
        "/candidates": lambda: fetch_tombstoned(fetch),
    }
    with pytest.raises(ObserveError, match=message):
        calls[path]()
