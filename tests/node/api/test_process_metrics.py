"""The process gauges on ``/metrics``: resident memory, open files, threads and trio tasks."""

from __future__ import annotations

import trio

from node.api.process_metrics import count_trio_tasks, read_process_metrics


async def test_process_metrics_report_memory_files_threads_and_tasks() -> None:
    metrics = read_process_metrics()
    assert metrics["process_resident_memory_bytes"] > 1 << 20
    assert metrics["process_open_fds"] >= 3 and metrics["process_threads"] >= 1
    before = count_trio_tasks()
    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(trio.sleep_forever)
        await trio.sleep(0)
        assert count_trio_tasks() == before + 5
        nursery.cancel_scope.cancel()
    assert count_trio_tasks() == before


def test_process_metrics_outside_trio_count_no_tasks() -> None:
    assert count_trio_tasks() == 0
