"""The ``docker`` and compose commands a Docker run needs, and the errors they raise.

Compose is ``docker compose`` (v2) where the plugin is installed, else ``docker-compose`` (v1);
both read the same generated file. Every resource of a run carries compose's project label
(``com.docker.compose.project``), which is how a run finds, and removes, what it made.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from node.scenario.errors import ScenarioError

logger = logging.getLogger(__name__)

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
TIMEOUT_S = 120.0


class DockerError(ScenarioError):
    """A docker or compose command failed (the message has the command and its stderr)."""


class DockerUnavailableError(DockerError):
    """No docker client, no daemon answering, or no compose."""


def run_docker(
    args: Sequence[str], *, cwd: Path | None = None, timeout_s: float = TIMEOUT_S
) -> str:
    """Run one ``docker`` or compose command; its stdout (DockerError if it fails)."""
    try:
        done = subprocess.run(
            list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DockerError(f"{' '.join(args)} failed: {exc}") from exc
    if done.returncode != 0:
        raise DockerError(f"{' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


@cache
def compose_command() -> tuple[str, ...]:
    """``docker compose`` when the v2 plugin answers, else ``docker-compose`` (v1)."""
    if shutil.which("docker") is None:
        raise DockerUnavailableError("no docker client on PATH")
    try:
        run_docker(["docker", "info", "--format", "{{.ServerVersion}}"], timeout_s=20)
    except DockerError as exc:
        raise DockerUnavailableError(f"the docker daemon does not answer: {exc}") from None
    try:
        run_docker(["docker", "compose", "version"], timeout_s=20)
    except DockerError:
        if shutil.which("docker-compose") is None:
            raise DockerUnavailableError("neither `docker compose` nor docker-compose") from None
        return ("docker-compose",)
    return ("docker", "compose")


def has_image(image: str) -> bool:
    try:
        run_docker(["docker", "image", "inspect", image], timeout_s=30)
    except DockerError:
        return False
    return True


def list_labelled(kind: str, selector: str, show: str = PROJECT_LABEL) -> list[tuple[str, str]]:
    """(name, value of label ``show``) of every container, network or volume (``kind``) that
    matches ``selector`` (``KEY`` or ``KEY=VALUE``)."""
    command = {
        "container": ["docker", "ps", "-a"],
        "network": ["docker", "network", "ls"],
        "volume": ["docker", "volume", "ls"],
    }[kind]
    name = "{{.Names}}" if kind == "container" else "{{.Name}}"
    fmt = f'{name}\t{{{{.Label "{show}"}}}}'
    out = run_docker([*command, "--filter", f"label={selector}", "--format", fmt], timeout_s=30)
    rows = [line.split("\t", 1) for line in out.splitlines() if "\t" in line]
    return [(row[0], row[1]) for row in rows]


def remove(kind: str, names: Sequence[str]) -> None:
    """Remove containers (forced), networks or volumes; each one that will not go is logged."""
    command = {
        "container": ["docker", "rm", "-f", "-v"],
        "network": ["docker", "network", "rm"],
        "volume": ["docker", "volume", "rm", "-f"],
    }[kind]
    for name in names:
        try:
            run_docker([*command, name], timeout_s=60)
        except DockerError as exc:
            logger.warning("could not remove %s=%s error=%s", kind, name, exc)


def fetch_logs(container: str, tail: int | None = None) -> str:
    """A container's output (stdout and stderr interleaved), the last ``tail`` lines or all."""
    args = ["docker", "logs", *(["--tail", str(tail)] if tail else []), container]
    try:
        done = subprocess.run(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DockerError(f"{' '.join(args)} failed: {exc}") from exc
    return done.stdout.decode("utf-8", errors="replace")
