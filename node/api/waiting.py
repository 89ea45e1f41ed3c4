"""Connections waiting for a request, so the oldest idle one can make room for a new client.

A slow or idle client holds a connection slot until its request timeout; hundreds of them
(half-open connections that trickle a request head, or keep-alive connections that say
nothing) would fill every slot and starve normal requests. When the server is full, it cancels
the connection that has waited longest for its next request instead of turning the new one
away: a flood only evicts itself, and a normal client's request completes long before it could
become the oldest waiter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import trio


class WaitingRoom:
    """The cancel scopes of connections that are reading a request, oldest first."""

    def __init__(self) -> None:
        self._waiting: dict[int, trio.CancelScope] = {}
        self._tickets = itertools.count()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._waiting)

    @contextmanager
    def hold(self, scope: trio.CancelScope) -> Iterator[None]:
        """While the block runs, ``scope`` (a connection reading a request) may be evicted."""
        ticket = next(self._tickets)
        self._waiting[ticket] = scope
        try:
            yield
        finally:
            self._waiting.pop(ticket, None)

    def evict_oldest(self) -> bool:
        """Cancel the longest-waiting connection; False when none is waiting."""
        if not self._waiting:
            return False
        ticket = next(iter(self._waiting))
        self._waiting.pop(ticket).cancel()
        self.evicted += 1
        return True
