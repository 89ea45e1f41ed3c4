"""A free IPv4 /24 for a Docker run's network: none of the daemon's networks, no host route."""

from __future__ import annotations

import ipaddress
import json
import random
import shutil
from collections.abc import Iterable

from node.scenario.docker_cli import DockerError, run_docker

ATTEMPTS = 200


def find_free_subnet() -> str:
    """A ``10.<a>.<b>.0/24`` that overlaps no Docker network and no route of this host."""
    return choose_subnet(list_docker_subnets() + list_routes(), random.Random())


def choose_subnet(taken: list[ipaddress.IPv4Network], pick: random.Random) -> str:
    """A random ``10.<100..249>.<b>.0/24`` overlapping none of ``taken`` (pure)."""
    for _ in range(ATTEMPTS):
        candidate = ipaddress.IPv4Network(
            f"10.{pick.randrange(100, 250)}.{pick.randrange(256)}.0/24"
        )
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise DockerError("no free 10.x.y.0/24 subnet for the run's network")


def list_docker_subnets() -> list[ipaddress.IPv4Network]:
    ids = run_docker(["docker", "network", "ls", "-q"], timeout_s=30).split()
    if not ids:
        return []
    fmt = "{{range .IPAM.Config}}{{.Subnet}} {{end}}"
    text = run_docker(["docker", "network", "inspect", "-f", fmt, *ids], timeout_s=30)
    return _networks(text.split())


def list_routes() -> list[ipaddress.IPv4Network]:
    """Destinations of this host's IPv4 routes (none known without ``ip``)."""
    if shutil.which("ip") is None:
        return []
    try:
        routes = json.loads(run_docker(["ip", "-j", "-4", "route", "show"], timeout_s=10) or "[]")
    except (DockerError, ValueError):
        return []
    return _networks(str(r.get("dst", "")) for r in routes)


def _networks(texts: Iterable[str]) -> list[ipaddress.IPv4Network]:
    """The IPv4 networks among ``texts`` (``default``, IPv6 and junk are left out)."""
    found = []
    for text in texts:
        try:
            found.append(ipaddress.IPv4Network(text, strict=False))
        except ValueError:
            continue
    return found
