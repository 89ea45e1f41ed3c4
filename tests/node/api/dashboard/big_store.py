"""A chain database as large as a long-running network's, written straight into SQLite in one
transaction (seconds, not the hours a node would take): linked blocks with a transfer in every
tenth, one task with a model version every tenth block and its contributions. The commits of
the newest blocks and of block 1 are signed; older ones carry a zero signature (signing them
all would double the time, and no page checks them).

:class:`StoreView` is a :class:`~node.chain.view.NodeView` over that store and the final state,
which is what the dashboard reads from a running node.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from consensus.block import Block, BlockHeader, Commit, CommitSig, FinalizedBlock, compute_txs_hash
from consensus.encoding import encode
from consensus.ledger import compute_genesis_state
from consensus.ledger.devnet import sign_transaction
from consensus.state import ChainState
from consensus.transactions import SignedTransaction, Transfer
from consensus.validators import ValidatorSet
from node.chain.view import StatusReport
from node.storage.chain_store import ChainStore, Contribution, ModelRecord, TxLocation
from tests.node.api.dashboard.live import CHAIN_ID, HOSTILE, KEY, USER, make_genesis

START_MS = 1_700_000_000_000
SIGNED_NEWEST = 300
EMPTY_TXS_HASH = compute_txs_hash(())


def build_big_store(path: Path, blocks: int, versions: int) -> ChainState:
    """Write ``blocks`` blocks and ``versions`` model versions to a new store at ``path``; the
    state after the last block (its task at version ``versions``)."""
    ChainStore(path).close()  # the schema
    genesis_state = compute_genesis_state(make_genesis())
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    parent = bytes(32)
    block_rows, tx_rows = [], []
    for height in range(1, blocks + 1):
        txs = (_transfer(height),) if height % 10 == 0 else ()
        signed = height == 1 or height > blocks - SIGNED_NEWEST
        finalized = _block(height, parent, txs, genesis_state.validators.hash, signed)
        parent = finalized.block.hash
        block_rows.append(
            (height, parent, 0, START_MS + 200 * height, KEY.address,
             encode(finalized.block), encode(finalized.commit))
        )  # fmt: skip
        tx_rows += [(t.hash, height, i, t.tx.sender, "Transfer") for i, t in enumerate(txs)]
    db.executemany("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)", block_rows)
    db.executemany("INSERT INTO txs VALUES (?, ?, ?, ?, ?)", tx_rows)
    _write_models(db, versions, blocks)
    db.execute("INSERT INTO validator_sets VALUES (1, ?)", (encode(genesis_state.validators),))
    db.execute("COMMIT")
    db.close()
    task = dataclasses.replace(genesis_state.tasks[1], version=versions, model_hash=b"\x07" * 32)
    return dataclasses.replace(
        genesis_state, height=blocks, last_block_hash=parent, tasks={1: task}
    )


def _transfer(height: int) -> SignedTransaction:
    return sign_transaction(USER, CHAIN_ID, height // 10 - 1, Transfer(HOSTILE.address, height))


def _block(
    height: int,
    parent: bytes,
    txs: tuple[SignedTransaction, ...],
    validators_hash: bytes,
    signed: bool,
) -> FinalizedBlock:
    header = BlockHeader(
        chain_id=CHAIN_ID,
        height=height,
        time_ms=START_MS + 200 * height,
        proposer=KEY.address,
        parent_hash=parent,
        txs_hash=compute_txs_hash(txs) if txs else EMPTY_TXS_HASH,
        last_commit_hash=bytes(32),
        app_hash=bytes(32),
        validators_hash=validators_hash,
    )
    block = Block(header, txs, None)
    signature = bytes(64)
    if signed:
        vote = Commit(height, 0, block.hash, ()).vote_of(CommitSig(KEY.address, signature))
        signature = KEY.sign(vote.sign_bytes(CHAIN_ID))
    return FinalizedBlock(
        block, Commit(height, 0, block.hash, (CommitSig(KEY.address, signature),))
    )


def _write_models(db: sqlite3.Connection, versions: int, blocks: int) -> None:
    models, contributions = [], []
    for version in range(1, versions + 1):
        height = min(blocks, version * 10)
        accuracy = round(0.5 + 0.45 * version / versions, 4)
        models.append((1, version, version.to_bytes(32, "big"), height, accuracy))
        for sender in (KEY.address, USER.address):
            tx_hash = bytes([version % 256, sender[0]]) + version.to_bytes(30, "big")
            accepted = sender == KEY.address or version % 3 != 0
            contributions.append(
                (1, version, tx_hash, sender, height, int(accepted), 1000 * accepted, "accepted")
            )
    db.executemany("INSERT INTO models VALUES (?, ?, ?, ?, ?)", models)
    db.executemany("INSERT INTO contributions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", contributions)


class StoreView:
    """The read side of a node over ``store`` and ``state`` (a fake of ``ChainNode``'s)."""

    def __init__(self, store: ChainStore, state: ChainState) -> None:
        self.storage = self  # as ChainNode: ``view.storage.store`` is the chain store
        self.store = store
        self.state = state

    def get_status(self) -> StatusReport:
        latest = self.store.get_finalized(self.state.height)
        assert latest is not None
        return StatusReport(
            CHAIN_ID, "big", "12D3KooBig", KEY.address.hex(), True, self.state.height, 0,
            "propose", latest.block.hash.hex(), latest.block.header.time_ms, 3, 0, 90.0, 240.0,
            {1: self.state.tasks[1].version},
        )  # fmt: skip

    def get_chain_state(self) -> ChainState:
        return self.state

    def get_finalized(self, height: int) -> FinalizedBlock | None:
        return self.store.get_finalized(height)

    def find_transaction(self, tx_hash: bytes) -> tuple[TxLocation, SignedTransaction] | None:
        location = self.store.find_tx(tx_hash)
        finalized = self.store.get_finalized(location.height) if location else None
        if location is None or finalized is None:
            return None
        return location, finalized.block.txs[location.position]

    def get_models(self, task_id: int) -> list[ModelRecord]:
        return self.store.get_models(task_id)

    def get_contributions(self, task_id: int, version: int) -> list[Contribution]:
        return self.store.get_contributions(task_id, version)

    def get_metrics(self) -> dict[str, float]:
        return {}

    async def submit_transaction(self, stx: SignedTransaction) -> None:
        raise AssertionError("the dashboard never submits")

    def get_validator_set(self, height: int) -> ValidatorSet | None:
        return self.store.get_validator_set(height)

    def get_blob(self, blob_hash: bytes) -> bytes | None:
        return None

    def put_blob(self, data: bytes) -> bytes:
        raise AssertionError("the dashboard never stores blobs")

    def get_next_nonce(self, address: bytes) -> int:
        return self.state.get_account(address).nonce
