"""The SQLite chain store: atomic final blocks, tx index, state snapshots, model records."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from consensus.block import Block, BlockHeader, Commit, CommitSig, FinalizedBlock
from consensus.crypto import KeyPair
from consensus.encoding import encode
from consensus.params import ChainParams
from consensus.state import Account, ChainState
from consensus.transactions import Bond, SignedTransaction, Transaction
from consensus.validators import Validator, ValidatorSet
from node.errors import StorageError
from node.storage.chain_store import ChainStore, Contribution, ModelRecord

KEY = KeyPair.from_seed(b"\x09" * 32)


def make_finalized(height: int, txs: tuple[SignedTransaction, ...] = ()) -> FinalizedBlock:
    header = BlockHeader(
        "c",
        height,
        1000 + height,
        KEY.address,
        bytes(32),
        bytes(32),
        bytes(32),
        bytes(32),
        bytes(32),
    )
    block = Block(header, txs, None)
    commit = Commit(height, 0, block.hash, (CommitSig(KEY.address, bytes(64)),))
    return FinalizedBlock(block, commit)


def make_state(height: int) -> ChainState:
    return ChainState("c", ChainParams(), height=height, accounts={KEY.address: Account(5, 6, 1)})


def signed_bond(nonce: int) -> SignedTransaction:
    tx = Transaction("c", KEY.address, nonce, 1, Bond(3))
    return SignedTransaction(tx, KEY.sign(tx.sign_bytes()))


def test_chain_store_saves_and_loads_blocks_states_and_txs(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db")
    tx = signed_bond(0)
    first = make_finalized(1, (tx,))
    store.save_finalized(first, 2, make_state(1))
    store.save_finalized(make_finalized(2), 0, make_state(2))
    assert store.get_height() == 2
    assert store.get_finalized(1) == first
    assert store.get_round(1) == 2
    location = store.find_tx(tx.hash)
    assert location is not None and (location.height, location.kind) == (1, "Bond")
    latest = store.get_latest_state()
    assert latest == make_state(2) and latest.app_hash == make_state(2).app_hash
    assert len(store.get_encoded_range(1, 10)) == 2
    store.close()


def test_chain_store_refuses_gaps(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db")
    with pytest.raises(StorageError, match="cannot store height 3"):
        store.save_finalized(make_finalized(3), 0, make_state(3))
    assert store.get_height() == 0


def test_chain_store_persists_across_reopen_and_models(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    store = ChainStore(path)
    store.save_finalized(make_finalized(1), 0, make_state(1))
    store.save_model(ModelRecord(1, 1, b"\x01" * 32, 1, 0.9))
    store.set_meta("genesis", b"\x02")
    store.close()
    reopened = ChainStore(path)
    assert reopened.get_height() == 1
    assert reopened.get_models(1) == [ModelRecord(1, 1, b"\x01" * 32, 1, 0.9)]
    assert reopened.get_meta("genesis") == b"\x02" and reopened.get_meta("nope") is None


def test_chain_store_saves_a_version_with_its_contributions_or_neither(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db")
    record = ModelRecord(1, 1, b"\x01" * 32, 4, None)
    row = Contribution(b"\x0a" * 32, b"\x0b" * 20, 4, True, 5, "")
    unbindable = dataclasses.replace(row, tx_hash=b"\x0c" * 32, reason=object())  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        store.save_version(record, [row, unbindable])
    assert store.get_models(1) == [] and store.get_contributions(1, 1) == []
    store.save_version(record, [row])
    assert store.get_models(1) == [record] and store.get_contributions(1, 1) == [row]


def read_synchronous(store: ChainStore) -> int:
    row = store._db.execute("PRAGMA synchronous").fetchone()
    return int(row[0])


def test_chain_store_derivable_commits_skip_their_fsync_and_restore_full(tmp_path: Path) -> None:
    """The state after aggregations, a version and an accuracy commit with synchronous=OFF
    (2 = FULL before and after, even when the transaction fails); what they wrote is
    there after a reopen (a process that exits loses nothing)."""
    path = tmp_path / "chain.db"
    store = ChainStore(path)
    assert read_synchronous(store) == 2
    store.save_finalized(make_finalized(1), 0, make_state(1))
    record = ModelRecord(1, 1, b"\x01" * 32, 1, None)
    row = Contribution(b"\x0a" * 32, b"\x0b" * 20, 1, True, 5, "")
    store.save_version(record, [row])
    assert read_synchronous(store) == 2
    store.set_model_accuracy(1, 1, 0.75)
    after_aggregation = dataclasses.replace(make_state(1), minted=7)
    store.save_state(after_aggregation)
    assert read_synchronous(store) == 2
    unbindable = dataclasses.replace(row, reason=object())  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        store.save_version(dataclasses.replace(record, version=2), [unbindable])
    assert read_synchronous(store) == 2
    store.close()
    reopened = ChainStore(path)
    assert reopened.get_models(1) == [dataclasses.replace(record, accuracy=0.75)]
    assert reopened.get_contributions(1, 1) == [row]
    latest = reopened.get_latest_state()
    assert latest == after_aggregation


def test_chain_store_prunes_old_state_snapshots(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db", keep_states=2)
    for height in range(1, 7):
        store.save_finalized(make_finalized(height), 0, make_state(height))
    rows = store._db.execute("SELECT height FROM states ORDER BY height").fetchall()
    assert [r[0] for r in rows] == [4, 5, 6]


def make_linked_chain(store: ChainStore, count: int) -> list[FinalizedBlock]:
    blocks: list[FinalizedBlock] = []
    parent = bytes(32)
    for height in range(1, count + 1):
        header = BlockHeader("c", height, 1000 + height, KEY.address, parent, *([bytes(32)] * 4))
        block = Block(header, (), None)
        finalized = FinalizedBlock(block, Commit(height, 0, block.hash, ()))
        store.save_finalized(finalized, 0, make_state(height))
        blocks.append(finalized)
        parent = block.hash
    return blocks


def test_chain_store_reopens_a_whole_store(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db")
    make_linked_chain(store, 5)
    store.close()
    reopened = ChainStore(tmp_path / "chain.db")
    assert reopened.get_height() == 5
    reopened.close()


def test_chain_store_random_bytes_in_the_middle_are_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    store = ChainStore(path)
    make_linked_chain(store, 40)
    store.close()
    (tmp_path / "chain.db-wal").unlink(missing_ok=True)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(bytes(range(256)) * 32)  # 8 KiB of garbage in the middle
    with pytest.raises(StorageError, match=r"is damaged .*move .* aside .*signer\.json"):
        ChainStore(path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b"garbage" * 100), "is damaged"),
        (lambda p: p.write_bytes(p.read_bytes()[:5000]), "is damaged"),
        (lambda p: (p.unlink(), p.mkdir()), "is not a file"),
    ],
)
def test_chain_store_damaged_file_is_one_clear_error(
    tmp_path: Path, damage: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "chain.db"
    store = ChainStore(path)
    make_linked_chain(store, 30)
    store.close()
    (tmp_path / "chain.db-wal").unlink(missing_ok=True)
    damage(path)
    with pytest.raises(StorageError, match=message):
        ChainStore(path)


def test_chain_store_block_swapped_for_another_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "chain.db"
    store = ChainStore(path)
    make_linked_chain(store, 3)
    store.close()
    with sqlite3.connect(path) as db:  # block 2's bytes replaced by an unlinked block's
        foreign = make_finalized(2).block
        db.execute(
            "UPDATE blocks SET block = ?, hash = ? WHERE height = 2",
            (encode(foreign), foreign.hash),
        )
    db.close()
    with pytest.raises(StorageError, match="commit stored for block 2 is for another block"):
        ChainStore(path)


def test_chain_store_records_the_next_validator_set_with_the_block(tmp_path: Path) -> None:
    store = ChainStore(tmp_path / "chain.db")
    first = ValidatorSet((Validator(KEY.address, 10),))
    second = ValidatorSet((Validator(KEY.address, 20),))
    for height, valset in ((1, first), (2, first), (3, second)):
        state = dataclasses.replace(make_state(height), validators=valset)
        store.save_finalized(make_finalized(height), 0, state)
    assert store.get_validator_set(3) == first  # signed by the set after block 2
    assert store.get_validator_set(4) == second  # in the same transaction as block 3
    rows = store._db.execute("SELECT from_height FROM validator_sets ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == [2, 4]  # one row per change
    store.close()
