"""The event queue's order and the trace hash."""

from __future__ import annotations

import pytest

from node.sim.queue import EventQueue
from node.sim.trace import TraceRecorder


def test_queue_pops_by_time_then_insertion_order():
    queue: EventQueue[str] = EventQueue()
    for time_ms, name in [(5, "c"), (1, "a"), (5, "d"), (1, "b"), (0, "start")]:
        queue.push(time_ms, 0, name)
    assert queue.peek_time() == 0
    order = [queue.pop().event for _ in range(len(queue))]
    assert order == ["start", "a", "b", "c", "d"]
    assert queue.peek_time() is None


def test_queue_rejects_negative_time():
    with pytest.raises(ValueError, match=">= 0"):
        EventQueue[str]().push(-1, 0, "x")


def _hash(events: list[tuple[int, int, bytes, bytes]]) -> str:
    trace = TraceRecorder()
    for event in events:
        trace.record(*event)
    return trace.hexdigest()


def test_trace_hash_depends_on_every_field_and_the_order():
    base = [(0, 1, b"start", b""), (5, 2, b"in1", b"vote:1:1:0:nil:ab")]
    assert _hash(base) == _hash(list(base))
    assert _hash(base) != _hash(base[::-1])
    assert _hash(base) != _hash([base[0], (6, 2, b"in1", b"vote:1:1:0:nil:ab")])
    assert _hash(base) != _hash([base[0], (5, 3, b"in1", b"vote:1:1:0:nil:ab")])
    assert _hash(base) != _hash([base[0], (5, 2, b"in1", b"vote:1:1:0:nil:ac")])
