"""The run's timeline and block lists, as pure functions of the manifest."""

from __future__ import annotations

from typing import Any

from node.scenario.parse import parse_manifest
from node.scenario.schedule import (
    PARTITION,
    START,
    BlockedPeers,
    Phase,
    build_schedule,
    complete_groups,
    compute_block_lists,
    get_due,
    get_perturbed,
    get_schedule_end_s,
    is_process_action,
)

RAW: dict[str, Any] = {
    "name": "t",
    "node": [
        {"name": "v", "count": 4},
        {"name": "late", "role": "full", "stake": 0, "start_at_s": 7},
    ],
    "perturbation": [
        {"at_s": 10, "node": "v1", "action": "kill", "duration_s": 5},
        {"at_s": 15, "node": "v2", "action": "pause", "duration_s": 3},
        {"at_s": 2, "node": "v3", "action": "disconnect", "duration_s": 4},
    ],
    "partition": [{"at_s": 20, "heal_at_s": 30, "groups": [["v0", "v1"]]}],
}
MANIFEST = parse_manifest(RAW)
NAMES = ("v0", "v1", "v2", "v3")


def test_schedule_orders_events_by_time_with_ends_before_begins() -> None:
    schedule = build_schedule(MANIFEST)
    labels = [(e.at_s, e.action, e.phase, e.nodes) for e in schedule]
    assert labels == [
        (2, "disconnect", Phase.BEGIN, ("v3",)),
        (6, "disconnect", Phase.END, ("v3",)),
        (7, START, Phase.BEGIN, ("late",)),
        (10, "kill", Phase.BEGIN, ("v1",)),
        (15, "kill", Phase.END, ("v1",)),
        (15, "pause", Phase.BEGIN, ("v2",)),
        (18, "pause", Phase.END, ("v2",)),
        (20, PARTITION, Phase.BEGIN, ("late", "v0", "v1", "v2", "v3")),
        (30, PARTITION, Phase.END, ("late", "v0", "v1", "v2", "v3")),
    ]
    partition = schedule[-2]
    assert partition.groups == (("v0", "v1"), ("v2", "v3", "late"))
    assert get_schedule_end_s(schedule) == 30
    assert get_schedule_end_s(()) == 0.0


def test_schedule_get_due_returns_only_events_whose_time_came() -> None:
    schedule = build_schedule(MANIFEST)
    assert get_due(schedule, 0, 1.9) == ()
    assert [e.label for e in get_due(schedule, 0, 7.0)] == [
        "disconnect v3 begin",
        "disconnect v3 end",
        "start late begin",
    ]
    assert [e.label for e in get_due(schedule, 3, 15.0)] == [
        "kill v1 begin",
        "kill v1 end",
        "pause v2 begin",
    ]
    assert get_due(schedule, len(schedule), 1e9) == ()


def test_schedule_shortened_manifest_drops_late_perturbations() -> None:
    raw = {**RAW, "short": {"duration_s": 12}}
    schedule = build_schedule(parse_manifest(raw).shortened())
    assert {e.action for e in schedule} == {"disconnect", START, "kill"}
    assert get_schedule_end_s(schedule) == 15


def test_schedule_perturbed_and_process_actions() -> None:
    assert get_perturbed(MANIFEST) == {"v1", "v2", "v3"}
    assert is_process_action("kill") and is_process_action("restart")
    assert not is_process_action("disconnect") and not is_process_action(PARTITION)


def test_schedule_complete_groups_adds_the_unnamed_nodes() -> None:
    assert complete_groups([["v0"], ["v2"]], NAMES) == (("v0",), ("v2",), ("v1", "v3"))
    assert complete_groups([["v0", "v1"], ["v2", "v3"]], NAMES) == (("v0", "v1"), ("v2", "v3"))


def test_schedule_block_lists_nothing_blocked_when_healed() -> None:
    assert compute_block_lists(NAMES, [], []) == {n: BlockedPeers() for n in NAMES}


def test_schedule_block_lists_partition_refuses_the_other_groups() -> None:
    lists = compute_block_lists(NAMES, [(("v0", "v1"), ("v2",))], [])
    assert lists["v0"] == BlockedPeers(frozenset({"v2", "v3"}))
    assert lists["v1"] == BlockedPeers(frozenset({"v2", "v3"}))
    assert lists["v2"] == BlockedPeers(frozenset({"v0", "v1", "v3"}))
    assert lists["v3"] == BlockedPeers(frozenset({"v0", "v1", "v2"}))


def test_schedule_block_lists_disconnect_cuts_both_ends() -> None:
    lists = compute_block_lists(NAMES, [], ["v2"])
    assert lists["v2"] == BlockedPeers(frozenset(), block_all=True)
    for name in ("v0", "v1", "v3"):
        assert lists[name] == BlockedPeers(frozenset({"v2"}))


def test_schedule_block_lists_partition_and_disconnect_combine() -> None:
    lists = compute_block_lists(NAMES, [(("v0", "v1"),)], ["v0"])
    assert lists["v0"].block_all
    assert lists["v1"].peers == {"v0", "v2", "v3"}
    assert lists["v2"].peers == {"v0", "v1"}
