"""Where the dashboard reads from: the node (:class:`NodeView`) and its paged chain index
(:class:`~node.api.chain_index.ChainIndex`), with the chain state taken once per page."""

from __future__ import annotations

from dataclasses import dataclass

from consensus.state import ChainState
from node.api.chain_index import ChainIndex, find_chain_index
from node.api.errors import NotFoundError
from node.chain.view import NodeView


@dataclass(frozen=True)
class Source:
    """One page's reads: the node, its index, and the chain state taken once per page."""

    view: NodeView
    index: ChainIndex
    state: ChainState

    @property
    def monikers(self) -> dict[bytes, str]:
        return {address: c.moniker for address, c in self.state.candidates.items()}


def open_source(view: NodeView) -> Source:
    """The sources of one page; NotFoundError when the node keeps no chain index."""
    index = find_chain_index(view)
    if index is None:
        raise NotFoundError("this node keeps no chain index: the dashboard needs its store")
    return Source(view, index, view.get_chain_state())
