"""Checks that a node's chain database is whole before the node builds on it.

At start the node runs SQLite's own ``quick_check`` and then walks the most recent final blocks:
each block's stored hash must be the hash of its stored bytes, its commit must be for that hash
at that height, and each block must name the previous one as its parent. A store that fails is
one :class:`~node.errors.StorageError` with the way back (RECOVERY), never a traceback and never
a node that keeps adding blocks on top of damage.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from consensus.block import Block, Commit
from consensus.encoding import decode
from consensus.errors import DecodeError
from node.errors import StorageError

RECENT_BLOCKS = 256
"""How many of the newest blocks are checked at start (the whole chain when it is shorter)."""
MAX_BLOCK_BYTES = 64 << 20


def describe_recovery(db_path: Path) -> str:
    """The documented way back from a damaged store (docs/operators.md, "A damaged store")."""
    data_dir = db_path.parent
    return (
        f"stop the node, move {data_dir} aside but put its signer.json back in a new, empty "
        f"{data_dir}, and start again: the node syncs the final blocks from its peers "
        "and checks every commit"
    )


def check_database(db: sqlite3.Connection, db_path: Path) -> None:
    """Raise StorageError if SQLite finds the file damaged or the recent chain does not link."""
    try:
        problems = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise damaged(db_path, str(exc)) from None
    if problems != ["ok"]:
        raise damaged(db_path, "; ".join(problems[:3]))
    try:
        rows = db.execute(
            "SELECT height, hash, block, commit_ FROM blocks ORDER BY height DESC LIMIT ?",
            (RECENT_BLOCKS,),
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise damaged(db_path, str(exc)) from None
    _check_links(list(reversed(rows)), db_path)


def _check_links(rows: list[tuple[int, bytes, bytes, bytes]], db_path: Path) -> None:
    parent: bytes | None = None
    for height, stored_hash, block_bytes, commit_bytes in rows:
        try:
            block = decode(Block, bytes(block_bytes), max_size=MAX_BLOCK_BYTES)
            commit = decode(Commit, bytes(commit_bytes), max_size=MAX_BLOCK_BYTES)
        except DecodeError as exc:
            raise damaged(db_path, f"block {height} does not decode: {exc}") from None
        if block.height != height or block.hash != bytes(stored_hash):
            raise damaged(db_path, f"block {height}'s bytes do not match its stored hash")
        if commit.height != height or commit.block_hash != block.hash:
            raise damaged(db_path, f"the commit stored for block {height} is for another block")
        if parent is not None and block.header.parent_hash != parent:
            raise damaged(db_path, f"block {height} does not name block {height - 1} as parent")
        parent = block.hash


def damaged(db_path: Path, why: str) -> StorageError:
    return StorageError(
        f"chain database {db_path} is damaged ({why}); {describe_recovery(db_path)}"
    )
