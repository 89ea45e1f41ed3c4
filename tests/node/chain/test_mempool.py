"""The mempool admits only applicable sequences, rechecks after blocks, and evicts by fee rate."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.ledger import compute_genesis_state, process_transaction
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.state import ChainState
from consensus.transactions import ModelDelta, SignedTransaction, Transfer
from node.chain.mempool import EarlyDeltaHeldError, Mempool, MempoolError
from node.chain.task_model import check_transaction
from tests.consensus.ledger.chain import SPEC, USERS, make_state, make_tx

KEYS = make_keys(3, namespace=7)
STATE = compute_genesis_state(make_devnet_genesis("c", KEYS[:1], others=KEYS[1:]))
TO = KEYS[2].address


def transfer(sender: int, nonce: int, fee: int = 1, amount: int = 5) -> SignedTransaction:
    return sign_transaction(KEYS[sender], "c", nonce, Transfer(TO, amount), fee=fee)


def test_mempool_admits_nonce_chains_and_reaps_in_order() -> None:
    pool = Mempool(STATE, process_transaction)
    txs = [transfer(1, 0), transfer(1, 1), transfer(0, 0)]
    for tx in txs:
        pool.add(tx)
    assert pool.reap(10, 1 << 20) == tuple(txs)
    assert pool.reap(2, 1 << 20) == tuple(txs[:2])
    assert len(pool) == 3 and txs[0].hash in pool


@pytest.mark.parametrize(
    ("tx", "reason"),
    [
        (transfer(1, 1), "nonce"),
        (sign_transaction(KEYS[1], "other", 0, Transfer(TO, 1)), "chain id"),
        (transfer(1, 0, amount=10**12), "balance"),
    ],
)
def test_mempool_rejects_inapplicable_transactions(tx: SignedTransaction, reason: str) -> None:
    pool = Mempool(STATE, process_transaction)
    with pytest.raises(MempoolError, match=reason):
        pool.add(tx)
    assert len(pool) == 0


def test_mempool_rejects_duplicates() -> None:
    pool = Mempool(STATE, process_transaction)
    pool.add(transfer(1, 0))
    with pytest.raises(MempoolError, match="already"):
        pool.add(transfer(1, 0))


def test_mempool_update_drops_included_and_rechecks_rest() -> None:
    pool = Mempool(STATE, process_transaction)
    first, second, other = transfer(1, 0), transfer(1, 1), transfer(0, 0)
    for tx in (first, second, other):
        pool.add(tx)
    after_block: ChainState = process_transaction(STATE, first)
    pool.update(after_block, [first.hash])
    assert pool.reap(10, 1 << 20) == (second, other)
    # A block that used nonce 0 of sender 0 with a different tx invalidates the pooled one.
    rival = transfer(0, 0, amount=6)
    pool.update(process_transaction(after_block, rival), [rival.hash])
    assert pool.reap(10, 1 << 20) == (second,)


def test_mempool_full_pool_evicts_cheapest_tail_for_higher_fee() -> None:
    pool = Mempool(STATE, process_transaction, max_txs=2)
    cheap0, cheap1 = transfer(1, 0, fee=1), transfer(1, 1, fee=1)
    pool.add(cheap0)
    pool.add(cheap1)
    with pytest.raises(MempoolError, match="full"):
        pool.add(transfer(0, 0, fee=1))
    rich = transfer(0, 0, fee=50)
    pool.add(rich)
    assert pool.reap(10, 1 << 20) == (cheap0, rich)


def with_task_at(state: ChainState, version: int) -> ChainState:
    task = state.tasks[1]
    return dataclasses.replace(state, tasks={1: dataclasses.replace(task, version=version)})


def delta(user: int, state: ChainState, base_version: int) -> SignedTransaction:
    body = ModelDelta(1, base_version, bytes([user]) * 32, 10, 32)
    return make_tx(USERS[user], state, body)


def test_a_delta_one_version_ahead_waits_for_that_version_then_enters() -> None:
    created = process_transaction(make_state(), make_tx(USERS[0], make_state(), SPEC))
    pool = Mempool(created, check_transaction)
    early = delta(1, created, 1)  # its sender derived version 1 a moment before us
    with pytest.raises(EarlyDeltaHeldError, match="held until its base is derived"):
        pool.add(early)
    with pytest.raises(MempoolError, match="invalid transaction"):
        pool.add(delta(2, created, 2))  # two versions ahead: no node derived that yet
    assert len(pool) == 0 and pool.early_deltas == 1
    pool.update(created, [])  # a block without the version: still held
    assert len(pool) == 0 and pool.early_deltas == 1
    pool.update(with_task_at(created, 1), [])  # our aggregation derived version 1
    assert pool.reap(10, 1 << 20) == (early,) and pool.early_deltas == 0
    assert pool.added.is_set()


def test_a_sender_has_one_held_delta_per_task_its_newest() -> None:
    created = process_transaction(make_state(), make_tx(USERS[0], make_state(), SPEC))
    pool = Mempool(created, check_transaction)
    older = delta(1, created, 1)
    newer = make_tx(USERS[1], created, ModelDelta(1, 1, b"\x09" * 32, 10, 32))
    for tx in (older, newer, delta(2, created, 1)):
        with pytest.raises(MempoolError, match="held"):
            pool.add(tx)
    assert pool.early_deltas == 2
    pool.update(with_task_at(created, 1), [])
    assert set(pool.reap(10, 1 << 20)) == {newer, delta(2, created, 1)}


def test_ready_work_counts_fresh_deltas_apart_from_stale_ones() -> None:
    created = process_transaction(make_state(), make_tx(USERS[0], make_state(), SPEC))
    at_one = with_task_at(created, 1)
    pool = Mempool(at_one, check_transaction)
    assert not pool.holds_ready_work() and not pool.holds_ready_work(fresh=True)
    pool.add(delta(1, at_one, 0))  # trained one version back (within max_staleness 1)
    pool.add(delta(2, at_one, 1))
    assert pool.holds_ready_work()  # min_deltas 2 reached: the ledger would make a version
    assert not pool.holds_ready_work(fresh=True)  # only one delta of the current version
    pool.add(delta(3, at_one, 1))
    assert pool.holds_ready_work(fresh=True)
