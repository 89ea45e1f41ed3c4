"""Find and end the processes a run started, by session (Linux ``/proc``).

Every node starts in a new session, so the node and whatever it spawns (its training worker)
share a session id equal to the node's first pid. The runner remembers those ids; after the
nodes are stopped :func:`sweep_sessions` kills anything left in them (a training worker
orphaned by a SIGKILLed node, say), so a run never leaves a process behind.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

PROC = Path("/proc")


def read_session(pid: int, proc: Path = PROC) -> int | None:
    """The session id of ``pid`` (None once it is gone or unreadable)."""
    try:
        text = (proc / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses
    fields = text[text.rfind(")") + 2 :].split()
    if len(fields) < 4 or fields[0] == "Z":
        return None
    try:
        return int(fields[3])
    except ValueError:
        return None


def find_session_members(sessions: Iterable[int], proc: Path = PROC) -> list[int]:
    """Live (not zombie) processes whose session is one of ``sessions``."""
    wanted = set(sessions)
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit() and read_session(int(entry.name), proc) in wanted:
            found.append(int(entry.name))
    return sorted(found)


def sweep_sessions(sessions: Iterable[int]) -> list[int]:
    """SIGKILL every process still in ``sessions``; the pids that were found."""
    found = find_session_members(sessions)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        logger.warning("killed a leftover process pid=%d", pid)
    return found


def find_children(parent: int, proc: Path = PROC) -> list[int]:
    """Live processes whose parent is ``parent``."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) >= 2 and fields[0] != "Z" and fields[1] == str(parent):
            found.append(int(entry.name))
    return sorted(found)


def wait_sessions_empty(
    sessions: Iterable[int], timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> list[int]:
    """Wait up to ``timeout_s`` for every process of ``sessions`` to exit (a node's helpers,
    such as multiprocessing's resource tracker, exit just after it); those still there."""
    wanted = list(sessions)
    deadline = clock() + timeout_s
    left = find_session_members(wanted)
    while left and clock() < deadline:
        time.sleep(0.1)
        left = find_session_members(wanted)
    return left
