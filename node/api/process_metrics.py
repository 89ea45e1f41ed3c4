"""The node process's own gauges for ``/metrics``: memory, open files, threads, trio tasks.

Named as Prometheus' client libraries name them (``process_resident_memory_bytes``,
``process_open_fds``), so the usual dashboards and alerts work; read from Linux ``/proc`` and
left out where it is missing. ``deltachain_trio_tasks`` counts the live tasks of the node's
event loop: a number that only grows means a leak.
"""

from __future__ import annotations

import os
from pathlib import Path

import trio

PROC_SELF = Path("/proc/self")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def read_process_metrics(proc: Path = PROC_SELF) -> dict[str, float]:
    """Resident memory, open descriptors, threads and trio tasks of this process."""
    metrics: dict[str, float] = {"deltachain_trio_tasks": count_trio_tasks()}
    try:
        resident_pages = int((proc / "statm").read_text().split()[1])
        metrics["process_resident_memory_bytes"] = resident_pages * PAGE_BYTES
        metrics["process_open_fds"] = len(list((proc / "fd").iterdir()))
        metrics["process_threads"] = len(list((proc / "task").iterdir()))
    except (OSError, IndexError, ValueError):
        pass
    return metrics


def count_trio_tasks() -> int:
    """Live tasks under the run's root task (0 outside a trio run)."""
    try:
        pending = [trio.lowlevel.current_root_task()]
    except RuntimeError:
        return 0
    count = 0
    while pending:
        task = pending.pop()
        count += 1
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return count
