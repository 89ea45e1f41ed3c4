"""Find and remove a Docker run's containers, networks and volumes by compose's project label.

A run's project is ``dcrun<pid>x<hex>``: the pid of the ``sim run`` that made it, so a later run
can tell a live run's resources from those of a run that crashed (and remove only the latter).
"""

from __future__ import annotations

import logging
import os
import re

from node.scenario.docker_cli import PROJECT_LABEL, list_labelled, remove

logger = logging.getLogger(__name__)

KINDS = ("container", "network", "volume")
"""In removal order: containers hold networks and volumes."""
PREFIX = "dcrun"
_PROJECT = re.compile(rf"^{PREFIX}(\d+)x[0-9a-f]+$")


def make_project(pid: int, suffix: str) -> str:
    return f"{PREFIX}{pid}x{suffix}"


def project_pid(project: str) -> int | None:
    """The pid of the run that made ``project``; None for projects that are not runs'."""
    match = _PROJECT.match(project)
    return int(match[1]) if match else None


def list_project(project: str) -> list[str]:
    """``kind name`` of every resource of ``project`` still there."""
    selector = f"{PROJECT_LABEL}={project}"
    return [f"{kind} {name}" for kind in KINDS for name, _ in list_labelled(kind, selector)]


def remove_project(project: str) -> None:
    """Remove every container, network and volume of ``project``."""
    selector = f"{PROJECT_LABEL}={project}"
    for kind in KINDS:
        remove(kind, [name for name, _ in list_labelled(kind, selector)])


def remove_stale_projects() -> list[str]:
    """Remove the projects of runs whose process is gone; their names."""
    projects = {value for kind in KINDS for _, value in list_labelled(kind, PROJECT_LABEL)}
    stale = sorted(p for p in projects if (pid := project_pid(p)) and not is_alive(pid))
    for project in stale:
        remove_project(project)
        logger.info("removed the Docker resources of a crashed run project=%s", project)
    return stale


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
