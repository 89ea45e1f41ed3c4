"""CPU time of a process and its child processes, read from Linux's ``/proc``.

The benchmarks report CPU seconds per model version next to wall-clock figures: on a shared
machine the wall clock of one run varies by a fifth from the next, while the CPU a node spends
per version changes only when its code does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSeconds:
    """User plus system CPU seconds of some processes and of their children."""

    processes: float = 0.0
    children: float = 0.0

    def __add__(self, other: CpuSeconds) -> CpuSeconds:
        return CpuSeconds(self.processes + other.processes, self.children + other.children)

    def __sub__(self, other: CpuSeconds) -> CpuSeconds:
        return CpuSeconds(self.processes - other.processes, self.children - other.children)


def read_own_cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """The user and system CPU seconds ``pid`` has used (0.0 once it is gone)."""
    try:
        stat = (proc / str(pid) / "stat").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return 0.0
    fields = stat.rpartition(")")[2].split()  # the name may hold spaces and parentheses
    try:
        utime, stime = int(fields[11]), int(fields[12])
    except (IndexError, ValueError):
        return 0.0
    return (utime + stime) / _TICKS_PER_SECOND


def list_child_pids(pid: int, proc: Path = PROC) -> list[int]:
    """The live child processes of ``pid`` (those of its main thread)."""
    try:
        text = (proc / str(pid) / "task" / str(pid) / "children").read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return []
    return [int(word) for word in text.split() if word.isdigit()]


def read_cpu_seconds(pids: list[int], proc: Path = PROC) -> CpuSeconds:
    """CPU seconds of ``pids`` and of their live children (a child that ended is not counted)."""
    total = CpuSeconds()
    for pid in pids:
        children = sum(read_own_cpu_seconds(c, proc) for c in list_child_pids(pid, proc))
        total += CpuSeconds(read_own_cpu_seconds(pid, proc), children)
    return total
