"""Plan of a namespace lab (names, addresses, nft rules) and the system-command helpers.

Linux network namespaces for a scenario run: one namespace per node, real packet drops.

Layout of one lab (run id ``r``, ``n`` nodes)::

    root ns: dc<r>r 10.A.B.254/24 ──veth── up0 ┐
    dc<r>hub:                                  br0 (bridge, no address)
    dc<r>n<i>: eth0 10.A.B.<i+1>/24 ──veth── n<i> ┘

Nodes talk over the bridge in the hub namespace. The runner reaches every node's HTTP API
from the root namespace through the one veth pair root<->hub: its root end has an address
in the lab's /24, which gives the root namespace a connected route to the lab and nothing
else (no forwarding, no NAT, no default route in the lab: no packet leaves it).

Partitions and disconnects are nftables rules inside the node namespaces (table ``inet
dcnet``) that drop packets to and from the other nodes' addresses; the root end's address
is never dropped, so the API stays reachable during any cut. Every namespace and the root
link are listed in a marker file (``/run/deltachain-netns/<run id>.json``) written before
they are made, so :func:`remove_stale_labs` can clean up after a crashed run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from node.scenario.errors import ScenarioError

logger = logging.getLogger(__name__)

MARKER_DIR = Path("/run/deltachain-netns")
MAX_NODES = 250
ROOT_HOST = 254
_RUN_ID = re.compile(r"^[a-z0-9]{1,8}$")
_TABLE = "dcnet"
_TIMEOUT_S = 10.0


class NetnsError(ScenarioError):
    """A namespace command failed (the message has the command and its stderr)."""


class NetnsUnavailableError(NetnsError):
    """This machine cannot make namespaces: not root, or ``ip`` / ``nft`` missing."""


@dataclass(frozen=True)
class LabPlan:
    """Names and addresses of one lab (pure: no system calls)."""

    run_id: str
    size: int
    net_a: int
    net_b: int

    @property
    def hub(self) -> str:
        return f"dc{self.run_id}hub"

    @property
    def root_link(self) -> str:
        return f"dc{self.run_id}r"

    @property
    def subnet(self) -> str:
        return f"10.{self.net_a}.{self.net_b}.0/24"

    @property
    def root_ip(self) -> str:
        """The root namespace's address in the lab (the runner's source address)."""
        return f"10.{self.net_a}.{self.net_b}.{ROOT_HOST}"

    def namespace(self, i: int) -> str:
        return f"dc{self.run_id}n{i}"

    def ip_of(self, i: int) -> str:
        return f"10.{self.net_a}.{self.net_b}.{i + 1}"

    @property
    def namespaces(self) -> list[str]:
        return [self.hub, *(self.namespace(i) for i in range(self.size))]


def make_plan(run_id: str, size: int, taken: frozenset[str] = frozenset()) -> LabPlan:
    """The plan for ``run_id``: a /24 in 10.0.0.0/8 derived from the id, skipping ``taken``
    subnets (``10.a.b.0/24`` strings already routed on this machine)."""
    if not _RUN_ID.match(run_id):
        raise NetnsError(f"run id must be 1 to 8 of [a-z0-9], not {run_id!r}")
    if not 1 <= size <= MAX_NODES:
        raise NetnsError(f"a lab holds 1 to {MAX_NODES} nodes, not {size}")
    digest = hashlib.sha256(run_id.encode()).digest()
    for step in range(256):
        plan = LabPlan(run_id, size, 200 + digest[0] % 50, (digest[1] + step) % 256)
        if plan.subnet not in taken:
            return plan
    raise NetnsError(f"no free 10.x.y.0/24 subnet for run {run_id!r}")


def compute_groups(size: int, groups: list[list[int]]) -> list[int]:
    """Group number of every node; nodes in no group form one more group together."""
    owner = [-1] * size
    for number, group in enumerate(groups):
        for i in group:
            if not 0 <= i < size:
                raise NetnsError(f"partition names node {i}, the lab has nodes 0..{size - 1}")
            if owner[i] != -1:
                raise NetnsError(f"node {i} is in two partition groups")
            owner[i] = number
    return [len(groups) if o == -1 else o for o in owner]


def compute_dropped(owner: list[int], cut: frozenset[int], i: int) -> list[int]:
    """Nodes whose packets node ``i`` must drop: other groups, and everyone if either is cut."""
    return [
        j for j in range(len(owner)) if j != i and (owner[j] != owner[i] or i in cut or j in cut)
    ]


def compute_ruleset(plan: LabPlan, dropped: list[int]) -> str:
    """The nft script that replaces node's table with drops for ``dropped`` nodes."""
    script = f"table inet {_TABLE}\ndelete table inet {_TABLE}\n"
    if not dropped:
        return script
    addrs = ", ".join(plan.ip_of(j) for j in dropped)
    return script + (
        f"table inet {_TABLE} {{\n"
        f"  chain input {{ type filter hook input priority 0; policy accept;"
        f" ip saddr {{ {addrs} }} drop; }}\n"
        f"  chain output {{ type filter hook output priority 0; policy accept;"
        f" ip daddr {{ {addrs} }} drop; }}\n"
        "}\n"
    )


def run_command(args: list[str], stdin: str | None = None) -> str:
    """Run one system command; NetnsError with its stderr when it fails."""
    try:
        done = subprocess.run(
            args, input=stdin, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetnsError(f"{' '.join(args)} failed: {exc}") from exc
    if done.returncode != 0:
        raise NetnsError(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def check_capabilities() -> None:
    """Raise NetnsUnavailableError unless we are root with ``ip`` and ``nft``."""
    if os.geteuid() != 0:
        raise NetnsUnavailableError("network namespaces need root (run the scenario as root)")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            raise NetnsUnavailableError(f"network namespaces need {tool!r} on PATH")


def list_taken_subnets() -> frozenset[str]:
    """IPv4 routes of the root namespace (``10.a.b.0/24`` style destinations)."""
    routes = json.loads(run_command(["ip", "-j", "-4", "route", "show"]) or "[]")
    return frozenset(str(r.get("dst", "")) for r in routes)
