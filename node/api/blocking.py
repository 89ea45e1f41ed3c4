"""The API's port onto the network's peer block list.

:class:`PeerBlocking` is what the admin routes need of a network (``NetworkPort`` has both
methods); a request's :class:`~node.api.request.Call` carries one when the node has a network
that can block peers. It lives below both the request values and the admin routes, so neither
has to import the other to name it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from node.network.values import BlockList, PeerId


@runtime_checkable
class PeerBlocking(Protocol):
    """What the admin routes need of the network (``NetworkPort`` has both methods)."""

    def get_blocked(self) -> BlockList: ...

    def set_blocked(self, peers: frozenset[PeerId], block_all: bool) -> None: ...


def find_peer_blocking(view: object) -> PeerBlocking | None:
    """The view's network when it can block peers (``ChainNode.network``), else None."""
    network = getattr(view, "network", None)
    return network if isinstance(network, PeerBlocking) else None
