"""A discrete-event queue over virtual time (ms): earliest first, FIFO among equal times."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Scheduled(Generic[T]):
    """An event for ``node`` due at ``time_ms``."""

    time_ms: int
    node: int
    event: T


class EventQueue(Generic[T]):
    """Min-heap keyed by (time, insertion sequence), so the order never depends on the events."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, T]] = []
        self._seq = 0

    def push(self, time_ms: int, node: int, event: T) -> None:
        if time_ms < 0:
            raise ValueError(f"event time must be >= 0, got {time_ms}")
        heapq.heappush(self._heap, (time_ms, self._seq, node, event))
        self._seq += 1

    def pop(self) -> Scheduled[T]:
        """The next event; raises IndexError when empty."""
        time_ms, _seq, node, event = heapq.heappop(self._heap)
        return Scheduled(time_ms, node, event)

    def peek_time(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
