"""Cutting and restoring links between nodes: block lists on loopback, namespaces with netns.

The runner keeps one target (active partitions and disconnected nodes) and asks the links to
reach it. On loopback every node refuses the peers it must not talk to
(``PUT /admin/blocked-peers``); a node that restarts forgets its list, so the list is pushed
again once it answers. In network namespaces the packet filter does the cutting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from node.api.client import ApiClient
from node.api.errors import ApiError
from node.scenario.schedule import BlockedPeers, compute_block_lists

logger = logging.getLogger(__name__)

Groups = tuple[tuple[str, ...], ...]


class Links(Protocol):
    """What the runner needs to cut links."""

    def set_target(self, partitions: Sequence[Groups], disconnected: frozenset[str]) -> None:
        """Partition into ``partitions`` (none: healed) with ``disconnected`` cut off."""
        ...

    def refresh(self, reachable: frozenset[str]) -> None:
        """Bring the ``reachable`` nodes to the target (called on every poll)."""
        ...

    def forget(self, name: str) -> None:
        """``name`` restarted and lost whatever was applied to it."""
        ...


class LoopbackLinks:
    """Block lists on each node's API (peer ids from the layout)."""

    def __init__(self, peer_ids: dict[str, str], clients: dict[str, ApiClient]) -> None:
        self.names = tuple(peer_ids)
        self.peer_ids = peer_ids
        self.clients = clients
        self.target = {n: BlockedPeers() for n in self.names}
        self.applied = dict(self.target)

    def set_target(self, partitions: Sequence[Groups], disconnected: frozenset[str]) -> None:
        self.target = compute_block_lists(self.names, partitions, disconnected)

    def refresh(self, reachable: frozenset[str]) -> None:
        for name in self.names:
            wanted = self.target[name]
            if name in reachable and self.applied.get(name) != wanted:
                self._push(name, wanted)

    def forget(self, name: str) -> None:
        self.applied[name] = BlockedPeers()

    def _push(self, name: str, wanted: BlockedPeers) -> None:
        peers = sorted(self.peer_ids[p] for p in wanted.peers)
        try:
            self.clients[name].put_blocked_peers(peers, wanted.block_all)
        except ApiError as exc:
            logger.info("block list not applied yet node=%s error=%s", name, exc)
            return
        self.applied[name] = wanted
        logger.info(
            "block list node=%s peers=%s all=%s", name, sorted(wanted.peers), wanted.block_all
        )


class NetnsControl(Protocol):
    """The part of ``node.scenario.netns.NetnsLab`` the runner uses."""

    def partition(self, groups: list[list[int]]) -> None: ...

    def heal(self) -> None: ...

    def disconnect(self, index: int) -> None: ...

    def reconnect(self, index: int) -> None: ...


class NamespaceLinks:
    """Packet drops between network namespaces (one per node)."""

    def __init__(self, lab: NetnsControl, names: Sequence[str]) -> None:
        self.lab = lab
        self.index = {name: i for i, name in enumerate(names)}
        self.partitions: tuple[Groups, ...] = ()
        self.disconnected: frozenset[str] = frozenset()

    def set_target(self, partitions: Sequence[Groups], disconnected: frozenset[str]) -> None:
        wanted = tuple(partitions)
        if wanted != self.partitions:
            self.lab.heal()
            for groups in wanted:  # the last partition wins where several overlap
                self.lab.partition([[self.index[n] for n in g] for g in groups])
            self.partitions = wanted
        for name in sorted(disconnected - self.disconnected):
            self.lab.disconnect(self.index[name])
        for name in sorted(self.disconnected - disconnected):
            self.lab.reconnect(self.index[name])
        self.disconnected = disconnected

    def refresh(self, reachable: frozenset[str]) -> None:
        """Namespaces keep their rules across node restarts: nothing to redo."""

    def forget(self, name: str) -> None:
        """The rules live in the namespace, not in the node."""
