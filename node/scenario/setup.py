"""Lay out a run (homes, ports or namespaces, processes, links) and observe its end.

:func:`open_setup` materializes the manifest for loopback (free ports below the ephemeral
range unless given) or for network namespaces, and builds the :class:`~node.scenario.control.
Fleet` with the right links. :meth:`Setup.observe` turns the end of a run into a judged
:class:`~node.scenario.report.RunReport`.
"""

from __future__ import annotations

import logging
import random
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.api.client import ApiClient
from node.api.errors import ApiError
from node.ops.genesis_file import load_genesis
from node.ops.launcher import Cluster, NodeProcess
from node.scenario.collect import (
    NodeEnd,
    compute_figures,
    compute_start_holdings,
    fetch_chain_facts,
    observe_node,
)
from node.scenario.control import Fleet
from node.scenario.errors import ScenarioError
from node.scenario.links import Links, LoopbackLinks, NamespaceLinks
from node.scenario.manifest import Manifest
from node.scenario.materialize import (
    Addressing,
    NodeAddress,
    NodeLayout,
    loopback_addressing,
    materialize,
)
from node.scenario.observe import Fetch, StatusRow
from node.scenario.options import RunOptions
from node.scenario.play import Member, Play
from node.scenario.report import RunReport
from node.scenario.schedule import get_perturbed
from node.scenario.tracking import compute_finality_points, compute_rounds_per_height
from node.scenario.verdict import judge

logger = logging.getLogger(__name__)

PORT_LOW, PORT_HIGH = 20_000, 32_000


class PortsUnavailableError(ScenarioError):
    """No range of consecutive free ports was found below the ephemeral range."""


def find_free_port_base(count: int, host: str = "127.0.0.1") -> int:
    """A base with ``count`` consecutive free ports, below the ephemeral range (a killed node
    must be able to listen again on its port when it restarts)."""
    chooser = random.Random()
    for _ in range(200):
        base = chooser.randrange(PORT_LOW, PORT_HIGH - count)
        if all(_is_free(host, base + i) for i in range(count)):
            return base
    raise PortsUnavailableError(f"no {count} consecutive free ports in [{PORT_LOW}, {PORT_HIGH})")


def _is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def make_fetch(client: ApiClient) -> Fetch:
    """``GET path`` on one node, None when it does not answer or lacks the object."""

    def fetch(path: str) -> dict[str, Any] | None:
        try:
            return client.get(path)
        except ApiError:
            return None

    return fetch


@dataclass
class Setup:
    """A laid-out run: its manifest, homes, processes and links."""

    plan: Manifest
    mode: str
    layouts: list[NodeLayout]
    fleet: Fleet
    members: list[Member]
    close: Callable[[], list[str]]
    """Take down what the setup made (namespaces, containers); what could not be removed."""

    def observe(self, play: Play, elapsed: float, seed: int, short: bool) -> RunReport:
        """Every node's final observation, the figures, and the verdict."""
        reference = play.reference() or self.members[0]
        versions = play.versions.ordered()
        addresses = [m.address for m in self.members]
        facts = fetch_chain_facts(reference.fetch, addresses, len(versions))
        start = compute_start_holdings(load_genesis(Path(self.layouts[0].home) / "genesis.cbor"))
        nodes = [
            observe_node(end, member.fetch, facts, start.get(end.address, (0, 0)))
            for end, member in zip(self._ends(play), self.members, strict=True)
        ]
        blocks = play.blocks[reference.name].blocks
        commit_ms = fetch_commit_timeout_ms(reference.fetch)
        report = RunReport(
            scenario=self.plan.name,
            mode=self.mode,
            seed=seed,
            short=short,
            duration_s=round(elapsed, 3),
            nodes=nodes,
            versions=versions,
            finality=compute_finality_points(blocks, play.wall0_ms, commit_ms),
            marks=list(self.fleet.marks),
            heights=list(play.heights),
        )
        report.figures = compute_figures(
            self.plan,
            nodes=nodes,
            statuses=play.statuses,
            versions=versions,
            rounds_per_height=compute_rounds_per_height(blocks),
            duration_s=elapsed,
        )
        report.checks = judge(self.plan, nodes, versions)
        return report

    def _ends(self, play: Play) -> list[NodeEnd]:
        """Each node at the end, its blocks fetched up to its final height."""
        perturbed = get_perturbed(self.plan)
        ends = []
        for member in self.members:
            blocks = play.blocks[member.name]
            status = play.statuses.get(member.name) or final_status(play, member)
            if status is not None:
                blocks.catch_up(member.fetch, status.height)
            node = self.fleet.node(member.name)
            perturbs = member.name in perturbed
            ends.append(
                NodeEnd(
                    member.name,
                    member.address,
                    member.honest,
                    status,
                    blocks,
                    node.starts,
                    perturbs,
                )
            )
        return ends


FINAL_STATUS_TRIES = 4
FINAL_STATUS_PAUSE_S = 1.0


def final_status(play: Play, member: Member) -> StatusRow | None:
    """Ask a node that missed the last poll again: under a saturated CPU one slow reply must
    not count as a node that stopped. A stopped or paused node is not asked."""
    for attempt in range(FINAL_STATUS_TRIES if play.is_askable(member) else 0):
        if attempt:
            time.sleep(FINAL_STATUS_PAUSE_S)
        status = play.fetch_status(member)
        if status is not None:
            return status
    return None


def fetch_commit_timeout_ms(fetch: Fetch) -> int:
    reply = fetch("/params") or {}
    value = (reply.get("params") or {}).get("timeout_commit_ms", 0)
    return value if isinstance(value, int) else 0


def open_setup(plan: Manifest, options: RunOptions, workdir: Path, seed: int, token: str) -> Setup:
    """Materialize ``plan`` under ``workdir`` and prepare (not start) its processes."""
    count = len(plan.nodes)
    lab: Any = _open_lab(count) if options.netns else None
    try:
        addressing = _lab_addressing(lab) if lab is not None else _loopback(options, count)
        layouts = materialize(
            plan, workdir / "net", addressing, seed=seed, api_token=token if lab else ""
        )
    except BaseException:
        if lab is not None:
            lab.close()
        raise
    nodes = [NodeProcess(x.name, Path(x.home), x.api_url) for x in layouts]
    if lab is not None:
        for i, node in enumerate(nodes):
            node.command_prefix = tuple(lab.command_prefix(i))
    clients = {x.name: ApiClient(x.api_url, token if lab else "", timeout_s=2.0) for x in layouts}
    links: Links = (
        NamespaceLinks(lab, [x.name for x in layouts])
        if lab is not None
        else LoopbackLinks({x.name: x.peer_id for x in layouts}, clients)
    )
    fleet = Fleet(Cluster(nodes, log_level=options.node_log_level), links)
    members = [
        Member(x.name, x.address, x.honest, make_fetch(clients[x.name]), clients[x.name])
        for x in layouts
    ]
    return Setup(plan, "netns" if lab else "processes", layouts, fleet, members, _closer(lab))


def _closer(lab: Any) -> Callable[[], list[str]]:
    """Remove the lab, if any (it raises rather than leave a namespace behind)."""

    def close() -> list[str]:
        if lab is not None:
            lab.close()
        return []

    return close


def _loopback(options: RunOptions, count: int) -> Addressing:
    p2p = options.p2p_base_port or find_free_port_base(count)
    api = options.api_base_port or find_free_port_base(count)
    if p2p <= api < p2p + count or api <= p2p < api + count:
        api = find_free_port_base(count)
    return loopback_addressing(p2p, api)


def _open_lab(count: int) -> Any:
    """A fresh namespace lab (``node.scenario.netns``), after removing crashed runs' labs."""
    from node.scenario.netns import NetnsLab, remove_stale_labs

    removed = remove_stale_labs()
    if removed:
        logger.warning("removed stale network namespaces: %s", removed)
    lab = NetnsLab(secrets.token_hex(4), count)
    return lab.__enter__()


def _lab_addressing(lab: Any) -> Addressing:
    return lambda i: NodeAddress(lab.ip_of(i), lab.ip_of(i), 26_656, 8_080)
