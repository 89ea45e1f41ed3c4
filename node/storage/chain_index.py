"""Bounded read queries over the chain database for explorers (the node's dashboard).

Every query here reads a page: a range of heights, the newest rows of one sender, one task's
versions. None decodes a block or walks the whole chain, so a page costs the same with ten
blocks or ten million. :class:`ChainIndexQueries` is mixed into
:class:`~node.storage.chain_store.ChainStore`, which owns the connection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from node.storage.records import ModelRecord, TxLocation

INDEXES = """
CREATE INDEX IF NOT EXISTS contributions_by_sender ON contributions (sender);
CREATE INDEX IF NOT EXISTS blocks_by_proposer ON blocks (proposer);
CREATE INDEX IF NOT EXISTS txs_by_height ON txs (height);
"""


@dataclass(frozen=True)
class BlockSummary:
    """A final block's row without its body: enough for a list of blocks."""

    height: int
    hash: bytes
    round: int
    time_ms: int
    proposer: bytes
    tx_count: int


@dataclass(frozen=True)
class ContributionTotals:
    """What one sender's deltas came to: counted, accepted, and the rewards paid for them."""

    sender: bytes
    deltas: int
    accepted: int
    reward: int


class ChainIndexQueries:
    """Paged reads for explorers; the class using it sets ``_db``."""

    _db: sqlite3.Connection

    def get_block_summaries(self, start: int, end: int) -> list[BlockSummary]:
        """Blocks ``start..end`` inclusive, newest first (callers bound the range)."""
        rows = self._db.execute(
            "SELECT height, hash, round, time_ms, proposer, "
            "(SELECT COUNT(*) FROM txs WHERE txs.height = blocks.height) FROM blocks "
            "WHERE height BETWEEN ? AND ? ORDER BY height DESC",
            (start, end),
        ).fetchall()
        return [
            BlockSummary(int(h), bytes(b), int(r), int(t), bytes(p), int(n))
            for h, b, r, t, p, n in rows
        ]

    def find_block_height(self, block_hash: bytes) -> int | None:
        """The height of the final block with this hash (None when there is none)."""
        row = self._db.execute("SELECT height FROM blocks WHERE hash = ?", (block_hash,)).fetchone()
        return None if row is None else int(row[0])

    def count_blocks_proposed(self, proposer: bytes) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM blocks WHERE proposer = ?", (proposer,)
        ).fetchone()
        return int(row[0])

    def find_txs_by_sender(
        self, sender: bytes, before_height: int, limit: int
    ) -> list[tuple[bytes, TxLocation]]:
        """The newest ``limit`` transactions of ``sender`` below ``before_height``."""
        rows = self._db.execute(
            "SELECT hash, height, position, kind FROM txs WHERE sender = ? AND height < ? "
            "ORDER BY height DESC, position DESC LIMIT ?",
            (sender, before_height, limit),
        ).fetchall()
        return [(bytes(h), TxLocation(int(ht), int(p), sender, str(k))) for h, ht, p, k in rows]

    def get_sender_totals(self, sender: bytes) -> ContributionTotals:
        """Every delta of ``sender`` any aggregation counted, across tasks."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(accepted), 0), COALESCE(SUM(reward), 0) "
            "FROM contributions WHERE sender = ?",
            (sender,),
        ).fetchone()
        return ContributionTotals(sender, int(row[0]), int(row[1]), int(row[2]))

    def get_task_totals(self, task_id: int) -> list[ContributionTotals]:
        """Per sender, the deltas the aggregations of ``task_id`` counted (most first)."""
        rows = self._db.execute(
            "SELECT sender, COUNT(*), SUM(accepted), SUM(reward) FROM contributions "
            "WHERE task_id = ? GROUP BY sender ORDER BY COUNT(*) DESC, sender",
            (task_id,),
        ).fetchall()
        return [ContributionTotals(bytes(s), int(n), int(a), int(r)) for s, n, a, r in rows]

    def get_version_totals(
        self, task_id: int, first: int, last: int
    ) -> dict[int, tuple[int, int, int]]:
        """Per version in ``first..last``: (deltas counted, accepted, rewards paid)."""
        rows = self._db.execute(
            "SELECT version, COUNT(*), SUM(accepted), SUM(reward) FROM contributions "
            "WHERE task_id = ? AND version BETWEEN ? AND ? GROUP BY version",
            (task_id, first, last),
        ).fetchall()
        return {int(v): (int(n), int(a), int(r)) for v, n, a, r in rows}

    def count_models(self, task_id: int) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM models WHERE task_id = ?", (task_id,)
        ).fetchone()
        return int(row[0])

    def get_models_page(self, task_id: int, before_version: int, limit: int) -> list[ModelRecord]:
        """The newest ``limit`` versions of ``task_id`` below ``before_version``, newest first."""
        rows = self._db.execute(
            "SELECT task_id, version, model_hash, height, accuracy FROM models "
            "WHERE task_id = ? AND version < ? ORDER BY version DESC LIMIT ?",
            (task_id, before_version, limit),
        ).fetchall()
        return [ModelRecord(int(t), int(v), bytes(h), int(ht), a) for t, v, h, ht, a in rows]

    def get_accuracy_series(self, task_id: int, limit: int) -> list[tuple[int, float]]:
        """(version, accuracy) of the newest ``limit`` measured versions, oldest first."""
        rows = self._db.execute(
            "SELECT version, accuracy FROM models WHERE task_id = ? AND accuracy IS NOT NULL "
            "ORDER BY version DESC LIMIT ?",
            (task_id, limit),
        ).fetchall()
        return [(int(v), float(a)) for v, a in reversed(rows)]
