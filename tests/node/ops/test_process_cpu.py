import multiprocessing
import os
import time
from pathlib import Path

from node.ops.process_cpu import (
    CpuSeconds,
    list_child_pids,
    read_cpu_seconds,
    read_own_cpu_seconds,
)


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_busy_child_shows_in_its_parent_s_children() -> None:
    before = read_cpu_seconds([os.getpid()])
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=spin, args=(0.6,))
    child.start()
    try:
        deadline = time.monotonic() + 30
        while child.is_alive() and time.monotonic() < deadline:
            assert child.pid is not None
            if read_own_cpu_seconds(child.pid) >= 0.3:
                break
            time.sleep(0.02)
        assert child.pid in list_child_pids(os.getpid())
        used = read_cpu_seconds([os.getpid()]) - before
        assert used.children >= 0.3
    finally:
        child.join(30)


def test_own_cpu_time_grows_with_work() -> None:
    before = read_own_cpu_seconds(os.getpid())
    spin(0.2)
    assert read_own_cpu_seconds(os.getpid()) - before >= 0.15


def test_a_gone_or_unreadable_process_counts_nothing(tmp_path: Path) -> None:
    assert read_own_cpu_seconds(2**22 + 12345) == 0.0
    assert list_child_pids(2**22 + 12345) == []
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "stat").write_text("77 (a) name) R 1", encoding="ascii")
    assert read_own_cpu_seconds(77, tmp_path) == 0.0  # truncated line
    (tmp_path / "77" / "stat").write_text(
        "77 (we(ird) na)me) S 1 77 77 0 -1 4194560 0 0 0 0 250 50 0 0", encoding="ascii"
    )
    ticks = os.sysconf("SC_CLK_TCK")
    assert read_own_cpu_seconds(77, tmp_path) == 300 / ticks
    assert read_cpu_seconds([77], tmp_path) == CpuSeconds(300 / ticks, 0.0)
