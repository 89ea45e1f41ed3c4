"""The Docker check for real: the image built from this checkout, baseline-4 on containers.

Slow (minutes: an image build and a run) and needs a Docker daemon, or root to start one; run
with ``pytest -m docker``. ``scripts/docker_check.sh`` does the work; this test holds it to its
exit code, its report and a clean daemon afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.node.scenario.test_compose_yaml import REPO

pytestmark = [pytest.mark.slow, pytest.mark.docker]

SCRIPT = REPO / "scripts" / "docker_check.sh"
TIMEOUT_S = 3600


def test_docker_check_runs_baseline_on_containers_and_leaves_nothing() -> None:
    if shutil.which("docker") is None:
        pytest.fail("no docker client: apt-get install docker.io docker-compose debootstrap")
    done = subprocess.run(
        ["bash", str(SCRIPT), "baseline-4"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(
        (REPO / "reports" / "docker-check" / "baseline-4" / "report.json").read_text()
    )
    assert report["mode"] == "docker" and report["passed"]
    assert report["figures"]["docker_resources_left"] == 0
    assert "nothing left behind" in done.stdout
