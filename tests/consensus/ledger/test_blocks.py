"""Blocks: building, header checks, last commit checks, rewards and fees, limits."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from consensus.block import Block, BlockHeader, compute_txs_hash
from consensus.errors import InvalidBlockError, InvalidCommitError
from consensus.ledger import (
    FEE_COLLECTOR,
    build_block,
    compute_supply,
    make_block,
    process_block,
)
from consensus.ledger.devnet import sign_commit
from consensus.transactions import Transfer, Unbond
from consensus.validators import advance_priorities
from tests.consensus.ledger.chain import (
    CHAIN_ID,
    USERS,
    VALIDATORS,
    Chain,
    make_params,
    make_state,
    make_tx,
    vector,
)


def with_header(block: Block, **changes: Any) -> Block:
    return dataclasses.replace(block, header=dataclasses.replace(block.header, **changes))


@vector
def test_blocks_empty_block_pays_reward_and_advances_head():
    chain = Chain(make_state())
    block = chain.propose()
    yield "pre", chain.state
    yield "block", block
    post = process_block(chain.state, block).state
    proposer = block.header.proposer
    reward = chain.state.params.block_reward
    assert post.height == 1 and post.time_ms == block.header.time_ms
    assert post.last_block_hash == block.hash
    assert post.get_account(proposer).balance == chain.state.get_account(proposer).balance + reward
    assert post.minted == reward
    assert post.validators == advance_priorities(chain.state.validators, 1)
    yield "post", post


@vector
def test_blocks_fees_go_to_the_proposer():
    chain = Chain(make_state())
    txs = [make_tx(USERS[0], chain.state, Transfer(USERS[1].address, 5), fee=7)]
    block = chain.propose(txs)
    yield "pre", chain.state
    yield "block", block
    post = process_block(chain.state, block).state
    proposer = block.header.proposer
    expected = chain.state.get_account(proposer).balance + 7 + chain.state.params.block_reward
    assert post.get_account(proposer).balance == expected
    assert FEE_COLLECTOR not in post.accounts
    assert compute_supply(post) == compute_supply(chain.state) + post.minted
    yield "post", post


def test_blocks_chain_of_blocks_with_commits_applies():
    chain = Chain(make_state())
    for _ in range(5):
        chain = chain.next()
    assert chain.state.height == 5
    assert chain.state.minted == 5 * chain.state.params.block_reward


def test_blocks_build_block_skips_transactions_that_do_not_apply():
    state = make_state()
    good = make_tx(USERS[0], state, Transfer(USERS[1].address, 5))
    replay = good  # the same nonce again no longer applies
    too_much = make_tx(USERS[2], state, Unbond(1))  # nothing bonded
    block = Chain(state).propose([good, replay, too_much])
    assert block.txs == (good,)
    assert process_block(state, block).state.get_account(USERS[0].address).nonce == 1


def test_blocks_build_block_respects_count_and_byte_limits():
    state = make_state(make_params(max_block_txs=2))
    txs = [make_tx(USERS[i], state, Transfer(USERS[0].address, 1)) for i in range(1, 4)]
    assert len(Chain(state).propose(txs).txs) == 2
    small = make_state(make_params(max_block_bytes=300))
    txs = [make_tx(USERS[i], small, Transfer(USERS[0].address, 1)) for i in range(1, 4)]
    block = Chain(small).propose(txs)
    assert 0 < len(block.txs) < 3
    process_block(small, block)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("chain_id", "other", "chain id"),
        ("height", 2, "height"),
        ("time_ms", 0, "time"),
        ("proposer", USERS[0].address, "proposer"),
        ("parent_hash", b"\x01" * 32, "parent"),
        ("txs_hash", b"\x01" * 32, "txs hash"),
        ("last_commit_hash", b"\x01" * 32, "last commit hash"),
        ("app_hash", b"\x01" * 32, "app hash"),
        ("validators_hash", b"\x01" * 32, "validators hash"),
    ],
)
def test_blocks_header_field_mismatch_is_rejected(field: str, value: object, message: str):
    state = make_state()
    block = with_header(Chain(state).propose(), **{field: value})
    with pytest.raises(InvalidBlockError, match=message):
        process_block(state, block)


def test_blocks_invalid_transaction_invalidates_the_block():
    state = make_state()
    bad = make_tx(USERS[0], state, Transfer(USERS[1].address, 10**18))
    block = make_block(state, (bad,), VALIDATORS[0].address, GENESIS_NEXT, None)
    with pytest.raises(InvalidBlockError, match="transaction 0"):
        process_block(state, block)


GENESIS_NEXT = 2_000


def test_blocks_too_many_transactions_is_rejected():
    state = make_state(make_params(max_block_txs=1))
    txs = tuple(make_tx(USERS[i], state, Transfer(USERS[0].address, 1)) for i in (1, 2))
    block = make_block(state, txs, VALIDATORS[0].address, GENESIS_NEXT, None)
    with pytest.raises(InvalidBlockError, match="exceed"):
        process_block(state, block)


def test_blocks_last_commit_is_required_and_checked():
    chain = Chain(make_state()).next()
    state = chain.state
    proposer = VALIDATORS[0].address
    with pytest.raises(InvalidCommitError, match="lacks"):
        process_block(state, make_block(state, (), proposer, 10**6, None))
    wrong_hash = sign_commit(VALIDATORS, CHAIN_ID, 1, 0, b"\x02" * 32)
    with pytest.raises(InvalidCommitError, match="parent"):
        process_block(state, make_block(state, (), proposer, 10**6, wrong_hash))
    too_few = sign_commit(VALIDATORS[:2], CHAIN_ID, 1, 0, state.last_block_hash)
    with pytest.raises(InvalidCommitError, match="2/3"):
        process_block(state, make_block(state, (), proposer, 10**6, too_few))
    with pytest.raises(InvalidCommitError):
        build_block(state, (), proposer, 10**6, too_few)


def test_blocks_first_block_must_not_carry_a_commit():
    state = make_state()
    commit = sign_commit(VALIDATORS, CHAIN_ID, 0, 0, b"\x00" * 32)
    block = make_block(state, (), VALIDATORS[0].address, GENESIS_NEXT, commit)
    with pytest.raises(InvalidCommitError, match="first block"):
        process_block(state, block)


def test_blocks_rejected_block_leaves_state_untouched():
    state = make_state()
    before = state.app_hash
    bad = with_header(Chain(state).propose(), app_hash=b"\x05" * 32)
    with pytest.raises(InvalidBlockError):
        process_block(state, bad)
    assert dataclasses.replace(state).app_hash == before


def test_blocks_header_commits_to_txs():
    state = make_state()
    tx = make_tx(USERS[0], state, Transfer(USERS[1].address, 1))
    block = Chain(state).propose([tx])
    assert block.header.txs_hash == compute_txs_hash((tx,))
    assert isinstance(block.header, BlockHeader)
