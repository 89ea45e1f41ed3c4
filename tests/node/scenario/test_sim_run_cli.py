"""``deltachain sim run``: bad manifests exit 3 with one line; SIGTERM stops every node."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli.main import app
from node.scenario.procs import find_session_members

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\n[[node]]\nname = "v"\nbogus = 1\n', "bogus"),
        ('name = "x"\n[[node]]\nname = "v"\nrole = "full"\n', "validator"),
        ("name = [", "TOML"),
    ],
)
def test_sim_run_bad_manifest_exits_config(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["sim", "run", str(path), "--no-progress"])
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "error" in lines[0]
    assert message.lower() in result.output.lower()


def test_sim_run_missing_manifest_exits_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sim", "run", str(tmp_path / "none.toml")])
    assert result.exit_code == 3


def node_pids(workdir: Path) -> list[int]:
    """Processes whose command line names a home under ``workdir``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(workdir) in cmdline and "start" in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.multiprocess
def test_sim_run_sigterm_stops_every_node(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    command = [sys.executable, "-m", "node.cli.main", "sim", "run"]
    command += [str(SCENARIOS / "baseline-4.toml"), "--short", "--no-progress"]
    command += ["--keep", str(workdir), "--report", str(tmp_path / "report")]
    runner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while len(node_pids(workdir)) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        pids = node_pids(workdir)
        assert len(pids) >= 4, "the nodes never started"
        time.sleep(2.0)
        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=90)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == 1, output.decode(errors="replace")
    assert b"interrupted" in output
    assert node_pids(workdir) == []
    assert find_session_members(pids) == []
    assert not os.path.exists(tmp_path / "report" / "report.json")
