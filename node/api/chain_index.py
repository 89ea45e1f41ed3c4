"""The API's port onto the node's paged chain index (the dashboard's pages, account totals).

:class:`ChainIndex` is what the pages need beyond ``NodeView``: bounded queries over the stored
chain (:class:`~node.storage.chain_index.ChainIndexQueries`, which the node's ``ChainStore``
has). A node built on ``ChainNode`` exposes its store as ``view.storage.store``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from node.storage.chain_index import BlockSummary, ContributionTotals
from node.storage.records import ModelRecord, TxLocation


@runtime_checkable
class ChainIndex(Protocol):
    """Paged reads over the stored chain (see ``ChainIndexQueries`` for each one's meaning)."""

    def get_block_summaries(self, start: int, end: int) -> list[BlockSummary]: ...

    def find_block_height(self, block_hash: bytes) -> int | None: ...

    def count_blocks_proposed(self, proposer: bytes) -> int: ...

    def find_txs_by_sender(
        self, sender: bytes, before_height: int, limit: int
    ) -> list[tuple[bytes, TxLocation]]: ...

    def get_sender_totals(self, sender: bytes) -> ContributionTotals: ...

    def get_task_totals(self, task_id: int) -> list[ContributionTotals]: ...

    def get_version_totals(
        self, task_id: int, first: int, last: int
    ) -> dict[int, tuple[int, int, int]]: ...

    def count_models(self, task_id: int) -> int: ...

    def get_models_page(
        self, task_id: int, before_version: int, limit: int
    ) -> list[ModelRecord]: ...

    def get_accuracy_series(self, task_id: int, limit: int) -> list[tuple[int, float]]: ...


def find_chain_index(view: object) -> ChainIndex | None:
    """The view's chain store when it has the index queries (``ChainNode`` does), else None."""
    store = getattr(getattr(view, "storage", None), "store", None)
    return store if isinstance(store, ChainIndex) else None


__all__ = ["BlockSummary", "ChainIndex", "ContributionTotals", "find_chain_index"]
