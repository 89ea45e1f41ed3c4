"""Finding a run's leftover processes by session; namespace links reaching their target."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from node.scenario.links import NamespaceLinks
from node.scenario.procs import (
    find_session_members,
    read_session,
    sweep_sessions,
    wait_sessions_empty,
)

CHILD = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"  # noqa: E501


def test_procs_sweep_kills_a_session_and_its_orphans() -> None:
    leader = subprocess.Popen([sys.executable, "-c", CHILD], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while len(find_session_members([leader.pid])) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        members = find_session_members([leader.pid])
        assert leader.pid in members and len(members) == 2
        leader.kill()  # the child is orphaned, still in the session
        leader.wait()
        orphans = find_session_members([leader.pid])
        assert len(orphans) == 1 and orphans[0] != leader.pid
        assert sweep_sessions([leader.pid]) == orphans
        assert wait_sessions_empty([leader.pid], 10.0) == []
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()


def test_procs_read_session_of_gone_or_malformed_process(tmp_path: Path) -> None:
    assert read_session(2**22 + 12_345) is None
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "stat").write_text("77 (a) b) S 1 77 notanumber 0")
    assert read_session(77, tmp_path) is None
    (tmp_path / "78").mkdir()
    (tmp_path / "78" / "stat").write_text("78 (we (ird) name) S 1 78 78 0")
    assert read_session(78, tmp_path) == 78
    (tmp_path / "79").mkdir()
    (tmp_path / "79" / "stat").write_text("79 (zombie) Z 1 78 78 0")
    assert read_session(79, tmp_path) is None
    assert find_session_members([78], tmp_path) == [78]


class RecordingLab:
    """A namespace lab that records the calls it gets (what the packet filter would do)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def partition(self, groups: list[list[int]]) -> None:
        self.calls.append(("partition", groups))

    def heal(self) -> None:
        self.calls.append(("heal", None))

    def disconnect(self, index: int) -> None:
        self.calls.append(("disconnect", index))

    def reconnect(self, index: int) -> None:
        self.calls.append(("reconnect", index))


def test_namespace_links_partition_heal_and_disconnect() -> None:
    lab = RecordingLab()
    links = NamespaceLinks(lab, ["a", "b", "c"])
    links.set_target([(("a",), ("b", "c"))], frozenset())
    links.set_target([(("a",), ("b", "c"))], frozenset({"c"}))
    links.set_target([], frozenset({"c"}))
    links.set_target([], frozenset())
    assert lab.calls == [
        ("heal", None),
        ("partition", [[0], [1, 2]]),
        ("disconnect", 2),
        ("heal", None),
        ("reconnect", 2),
    ]
