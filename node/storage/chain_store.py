"""The chain database: final blocks with their commits, a transaction index, state snapshots and
model versions, in SQLite (write-ahead-log mode, synchronous=FULL).

A block, its commit, its transactions and the state after it are written in one SQLite
transaction, so after a crash the store holds a prefix of the final chain and the matching state.

What a node can derive again is committed without its own fsync (``synchronous=OFF`` for that
one transaction): the state after a block's aggregations, a version's record and contributions,
and a measured accuracy. In write-ahead-log mode SQLite keeps commits in order, so the next
durable commit (the next final block) makes them durable too, and a power loss before it loses
them together, never out of order (a killed process loses nothing: the OS has the pages). The
store then holds a final block whose ready tasks are not yet aggregated, which a node recovers
on start (``ChainNode``) as it does after a crash mid-height. Each fsync here blocked the
node's event loop for 3 to 4 ms on the 4-validator testnet, with four nodes flushing one disk;
a version cost four of them, now one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from consensus.block import Block, Commit, FinalizedBlock
from consensus.encoding import decode, encode
from consensus.errors import DecodeError
from consensus.state import ChainState
from consensus.validators import ValidatorSet
from node.errors import StorageError
from node.storage.chain_index import INDEXES, ChainIndexQueries
from node.storage.integrity import check_database, damaged
from node.storage.records import Contribution, ModelRecord, TxLocation

T = TypeVar("T")

__all__ = ["ChainStore", "Contribution", "ModelRecord", "TxLocation"]

MAX_STORED_OBJECT = 64 << 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, round INTEGER NOT NULL,
    time_ms INTEGER NOT NULL, proposer BLOB NOT NULL, block BLOB NOT NULL, commit_ BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
    hash BLOB PRIMARY KEY, height INTEGER NOT NULL, position INTEGER NOT NULL,
    sender BLOB NOT NULL, kind TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS txs_by_sender ON txs (sender, height);
CREATE TABLE IF NOT EXISTS states (height INTEGER PRIMARY KEY, app_hash BLOB NOT NULL,
    state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS contributions (
    task_id INTEGER NOT NULL, version INTEGER NOT NULL, tx_hash BLOB NOT NULL,
    sender BLOB NOT NULL, height INTEGER NOT NULL, accepted INTEGER NOT NULL,
    reward INTEGER NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (task_id, version, tx_hash));
CREATE TABLE IF NOT EXISTS validator_sets (from_height INTEGER PRIMARY KEY, valset BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    task_id INTEGER NOT NULL, version INTEGER NOT NULL, model_hash BLOB NOT NULL,
    height INTEGER NOT NULL, accuracy REAL, PRIMARY KEY (task_id, version));
"""


class ChainStore(ChainIndexQueries):
    """SQLite-backed storage of the final chain; one writer (the node's driver).

    Its paged reads for explorers come from :class:`ChainIndexQueries`.
    """

    def __init__(self, path: Path, *, keep_states: int = 64) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.keep_states = keep_states
        if path.exists() and not path.is_file():
            raise StorageError(f"chain database {path} is not a file")
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:  # cannot open: permissions, read-only directory, ...
            raise StorageError(f"cannot open chain database {path}: {exc}") from None
        try:
            self._prepare(path)
        except BaseException:
            self._db.close()
            raise

    def _prepare(self, path: Path) -> None:
        """Set the journal mode, create missing tables and check the file is whole."""
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA + INDEXES)
        except sqlite3.OperationalError as exc:  # read-only, locked, unreadable
            raise StorageError(f"cannot use chain database {path}: {exc}") from None
        except sqlite3.Error as exc:
            raise damaged(path, str(exc)) from None
        check_database(self._db, path)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction; fsynced at commit unless ``durable`` is False (see the
        module docstring for what may skip it)."""
        if not durable:
            self._db.execute("PRAGMA synchronous=OFF")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    # ---- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_meta(self, key: str, value: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- blocks -----------------------------------------------------------------------------

    def save_finalized(self, finalized: FinalizedBlock, round_: int, state: ChainState) -> None:
        """Persist a final block, its commit, its tx index, the state after it and the validator
        set that signs the next height, atomically (a crash keeps all of them or none)."""
        block, height = finalized.block, finalized.block.height
        if height != self.get_height() + 1:
            raise StorageError(f"cannot store height {height} after {self.get_height()}")
        header = block.header
        with self._transaction() as db:
            db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    height,
                    block.hash,
                    round_,
                    header.time_ms,
                    header.proposer,
                    encode(block),
                    encode(finalized.commit),
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO txs VALUES (?, ?, ?, ?, ?)",
                [
                    (tx.hash, height, i, tx.tx.sender, type(tx.tx.body).__name__)
                    for i, tx in enumerate(block.txs)
                ],
            )
            self._save_state(db, state)
            self._save_validator_set(db, height + 1, state.validators)

    def save_state(self, state: ChainState) -> None:
        """Replace the snapshot at ``state.height`` after its aggregations, without an fsync of
        its own (derivable again: see the module docstring)."""
        with self._transaction(durable=False) as db:
            self._save_state(db, state)

    def _save_state(self, db: sqlite3.Connection, state: ChainState) -> None:
        db.execute(
            "INSERT OR REPLACE INTO states VALUES (?, ?, ?)",
            (state.height, state.app_hash, encode(state)),
        )
        db.execute("DELETE FROM states WHERE height < ?", (state.height - self.keep_states,))

    def get_height(self) -> int:
        row = self._db.execute("SELECT MAX(height) FROM blocks").fetchone()
        return int(row[0]) if row[0] is not None else 0

    def get_finalized(self, height: int) -> FinalizedBlock | None:
        row = self._db.execute(
            "SELECT block, commit_ FROM blocks WHERE height = ?", (height,)
        ).fetchone()
        if row is None:
            return None
        return FinalizedBlock(_load(Block, row[0]), _load(Commit, row[1]))

    def get_encoded_range(self, start: int, end: int, limit: int = 256) -> list[bytes]:
        """Encoded FinalizedBlocks for heights ``start..end`` inclusive (at most ``limit``)."""
        rows = self._db.execute(
            "SELECT block, commit_ FROM blocks WHERE height BETWEEN ? AND ? "
            "ORDER BY height LIMIT ?",
            (start, end, limit),
        ).fetchall()
        return [encode(FinalizedBlock(_load(Block, b), _load(Commit, c))) for b, c in rows]

    def get_round(self, height: int) -> int | None:
        row = self._db.execute("SELECT round FROM blocks WHERE height = ?", (height,)).fetchone()
        return None if row is None else int(row[0])

    def find_tx(self, tx_hash: bytes) -> TxLocation | None:
        row = self._db.execute(
            "SELECT height, position, sender, kind FROM txs WHERE hash = ?", (tx_hash,)
        ).fetchone()
        return None if row is None else TxLocation(int(row[0]), int(row[1]), bytes(row[2]), row[3])

    # ---- state and models -------------------------------------------------------------------

    def get_latest_state(self) -> ChainState | None:
        row = self._db.execute("SELECT state FROM states ORDER BY height DESC LIMIT 1").fetchone()
        return None if row is None else _load(ChainState, row[0])

    def save_version(self, record: ModelRecord, rows: list[Contribution]) -> None:
        """A new model version's record and its contributions, in one transaction (a reader
        never sees the record without its contributions), without an fsync of its own: a
        crash before the next final block is stored loses it with the state that names the
        version, and the node derives both again."""
        with self._transaction(durable=False):
            self.save_contributions(record.task_id, record.version, rows)
            self.save_model(record)

    def save_model(self, record: ModelRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO models VALUES (?, ?, ?, ?, ?)",
            (record.task_id, record.version, record.model_hash, record.height, record.accuracy),
        )

    def save_contributions(self, task_id: int, version: int, rows: list[Contribution]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO contributions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    task_id,
                    version,
                    c.tx_hash,
                    c.sender,
                    c.height,
                    int(c.accepted),
                    c.reward,
                    c.reason,
                )
                for c in rows
            ],
        )

    def get_contributions(self, task_id: int, version: int) -> list[Contribution]:
        rows = self._db.execute(
            "SELECT tx_hash, sender, height, accepted, reward, reason FROM contributions "
            "WHERE task_id = ? AND version = ? ORDER BY tx_hash",
            (task_id, version),
        ).fetchall()
        return [
            Contribution(bytes(t), bytes(s), int(h), bool(a), int(r), str(why))
            for t, s, h, a, r, why in rows
        ]

    def save_validator_set(self, from_height: int, valset: ValidatorSet) -> None:
        """Record the set that signs heights from ``from_height`` on (if it changed)."""
        with self._transaction() as db:
            self._save_validator_set(db, from_height, valset)

    def _save_validator_set(
        self, db: sqlite3.Connection, from_height: int, valset: ValidatorSet
    ) -> None:
        row = db.execute(
            "SELECT valset FROM validator_sets WHERE from_height <= ? "
            "ORDER BY from_height DESC LIMIT 1",
            (from_height,),
        ).fetchone()
        encoded = encode(valset)
        if row is None or bytes(row[0]) != encoded:
            db.execute(
                "INSERT OR REPLACE INTO validator_sets VALUES (?, ?)", (from_height, encoded)
            )

    def get_validator_set(self, height: int) -> ValidatorSet | None:
        """The set that signed ``height``'s commit."""
        row = self._db.execute(
            "SELECT valset FROM validator_sets WHERE from_height <= ? "
            "ORDER BY from_height DESC LIMIT 1",
            (height,),
        ).fetchone()
        return None if row is None else _load(ValidatorSet, row[0])

    def set_model_accuracy(self, task_id: int, version: int, accuracy: float) -> None:
        """Record the test accuracy this node measured for a model version (local, advisory:
        no fsync of its own)."""
        with self._transaction(durable=False) as db:
            db.execute(
                "UPDATE models SET accuracy = ? WHERE task_id = ? AND version = ?",
                (accuracy, task_id, version),
            )

    def get_models(self, task_id: int) -> list[ModelRecord]:
        rows = self._db.execute(
            "SELECT task_id, version, model_hash, height, accuracy FROM models "
            "WHERE task_id = ? ORDER BY version",
            (task_id,),
        ).fetchall()
        return [ModelRecord(int(t), int(v), bytes(h), int(ht), a) for t, v, h, ht, a in rows]


def _load(cls: type[T], data: bytes) -> T:
    try:
        return decode(cls, bytes(data), max_size=MAX_STORED_OBJECT)
    except DecodeError as exc:
        raise StorageError(f"stored {cls.__name__} is corrupt: {exc}") from exc
