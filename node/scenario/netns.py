"""``NetnsLab``: make, cut, heal and remove the namespaces of one run.

The layout, addressing and how the runner reaches each node's API are described in
:mod:`node.scenario.netns_plan`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from types import TracebackType

from node.scenario.netns_plan import (
    MARKER_DIR,
    LabPlan,
    NetnsError,
    NetnsUnavailableError,
    check_capabilities,
    compute_dropped,
    compute_groups,
    compute_ruleset,
    list_taken_subnets,
    make_plan,
    run_command,
)

__all__ = ["NetnsError", "NetnsLab", "NetnsUnavailableError", "remove_stale_labs"]

logger = logging.getLogger(__name__)
_NO_IPV6 = ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")


class NetnsLab:
    """The namespaces of one run; ``with NetnsLab(run_id, size) as lab:`` makes them and
    removes them on exit (also on error). Node ``i`` runs under ``lab.command_prefix(i)``
    and listens on ``lab.ip_of(i)``, which the root namespace reaches directly."""

    def __init__(self, run_id: str, size: int) -> None:
        check_capabilities()
        self.plan: LabPlan = make_plan(run_id, size, list_taken_subnets())
        self._owner = [0] * size
        self._cut: frozenset[int] = frozenset()
        self._made = False

    def __enter__(self) -> NetnsLab:
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def ip_of(self, i: int) -> str:
        self._check_index(i)
        return self.plan.ip_of(i)

    def command_prefix(self, i: int) -> list[str]:
        self._check_index(i)
        return ["ip", "netns", "exec", self.plan.namespace(i)]

    def partition(self, groups: list[list[int]]) -> None:
        """Only nodes of one group reach each other (nodes in no group form one more)."""
        self._owner = compute_groups(self.plan.size, groups)
        self._apply()

    def heal(self) -> None:
        """End the partition (disconnected nodes stay cut until ``reconnect``)."""
        self._owner = [0] * self.plan.size
        self._apply()

    def disconnect(self, i: int) -> None:
        """Drop every packet between node ``i`` and the other nodes (its API stays up)."""
        self._check_index(i)
        self._cut = self._cut | {i}
        self._apply()

    def reconnect(self, i: int) -> None:
        self._check_index(i)
        self._cut = self._cut - {i}
        self._apply()

    def close(self) -> None:
        """Remove every namespace and the root link; safe to call twice."""
        if not self._made:
            return
        remove_lab(self.plan.namespaces, self.plan.root_link)
        with contextlib.suppress(FileNotFoundError):
            marker_path(self.plan.run_id).unlink()
        self._made = False
        logger.info("netns lab removed run=%s", self.plan.run_id)

    def _check_index(self, i: int) -> None:
        if not 0 <= i < self.plan.size:
            raise NetnsError(f"no node {i} in a lab of {self.plan.size}")

    def _apply(self) -> None:
        for i in range(self.plan.size):
            dropped = compute_dropped(self._owner, self._cut, i)
            script = compute_ruleset(self.plan, dropped)
            run_command(["ip", "netns", "exec", self.plan.namespace(i), "nft", "-f", "-"], script)

    def _create(self) -> None:
        plan = self.plan
        write_marker(plan)
        self._made = True
        hub = ["ip", "-n", plan.hub]
        run_command(["ip", "netns", "add", plan.hub])
        run_command([*hub, "link", "set", "lo", "up"])
        run_command([*hub, "link", "add", "br0", "type", "bridge"])
        run_command([*hub, "link", "set", "br0", "up"])
        root = plan.root_link
        run_command(["ip", "link", "add", root, "type", "veth", "peer", "up0", "netns", plan.hub])
        run_command([*hub, "link", "set", "up0", "master", "br0", "up"])
        run_command(["ip", "addr", "add", f"{plan.root_ip}/24", "dev", root])
        run_command(["ip", "link", "set", root, "up"])
        for i in range(plan.size):
            self._create_node(i)
        logger.info(
            "netns lab ready run=%s nodes=%d subnet=%s", plan.run_id, plan.size, plan.subnet
        )

    def _create_node(self, i: int) -> None:
        plan, name = self.plan, self.plan.namespace(i)
        run_command(["ip", "netns", "add", name])
        run_command(["ip", "-n", name, "link", "set", "lo", "up"])
        with contextlib.suppress(NetnsError):  # no IPv6 on the host: nothing to turn off
            # The cuts are IPv4 rules: no IPv6 (not even link-local) may bypass them.
            run_command(["ip", "netns", "exec", name, "sysctl", "-qw", *_NO_IPV6])
        hub = ["ip", "-n", plan.hub]
        run_command([*hub, "link", "add", f"n{i}", "type", "veth", "peer", "eth0", "netns", name])
        run_command([*hub, "link", "set", f"n{i}", "master", "br0", "up"])
        run_command(["ip", "-n", name, "addr", "add", f"{plan.ip_of(i)}/24", "dev", "eth0"])
        run_command(["ip", "-n", name, "link", "set", "eth0", "up"])


def marker_path(run_id: str) -> Path:
    return MARKER_DIR / f"{run_id}.json"


def write_marker(plan: LabPlan) -> None:
    MARKER_DIR.mkdir(parents=True, exist_ok=True)
    body = {"pid": os.getpid(), "namespaces": plan.namespaces, "root_link": plan.root_link}
    path = MARKER_DIR / f"{plan.run_id}.json"
    path.write_text(json.dumps(body), encoding="utf-8")


def list_namespaces() -> set[str]:
    return {line.split()[0] for line in run_command(["ip", "netns", "list"]).splitlines() if line}


def remove_lab(namespaces: list[str], root_link: str) -> None:
    """Delete the namespaces (their veths go with them) and the root link if still there."""
    existing = list_namespaces()
    for name in namespaces:
        if name in existing:
            run_command(["ip", "netns", "del", name])
    with contextlib.suppress(NetnsError):  # gone with its peer in the hub namespace
        run_command(["ip", "link", "del", root_link])


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_labs(prefix: str = "dc") -> list[str]:
    """Remove labs whose creating process is gone; the run ids removed.

    Only labs with a marker file are touched, so foreign namespaces that happen to share
    the prefix are left alone; a live run's lab is kept.
    """
    check_capabilities()
    removed: list[str] = []
    for path in sorted(MARKER_DIR.glob("*.json")) if MARKER_DIR.is_dir() else []:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            pid, names, link = int(body["pid"]), list(body["namespaces"]), str(body["root_link"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("unreadable netns marker path=%s error=%s", path, exc)
            continue
        if is_alive(pid) or not all(str(n).startswith(prefix) for n in names):
            continue
        remove_lab([str(n) for n in names], link)
        path.unlink(missing_ok=True)
        removed.append(path.stem)
        logger.info("removed stale netns lab run=%s pid=%d", path.stem, pid)
    return removed
