"""How to run a manifest on real processes (``deltachain sim run``'s options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunOptions:
    """How to run a manifest."""

    seed: int | None = None
    """Seed for keys and data (default: the manifest's)."""
    short: bool = False
    """Apply the manifest's ``[short]`` settings (the test suite's runs)."""
    duration_s: float | None = None
    """Override the hard time limit (``stop_when_done`` still ends the run early)."""
    netns: bool = False
    docker: bool = False
    """One container per node, from ``docker_image`` (``sim run --docker``)."""
    docker_image: str = "deltachain:latest"
    workdir: Path | None = None
    """Where the node homes go (kept); default a temporary directory, removed after a run
    that passed and kept (its path logged) after any other."""
    p2p_base_port: int | None = None
    api_base_port: int | None = None
    node_log_level: str = "info"
    progress: bool = False
    poll_s: float = 0.5
    serve_timeout_s: float = 120.0
    settle_timeout_s: float = 60.0
