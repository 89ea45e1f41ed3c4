"""Wire round trips of what the ledger produces and stores; garbage only raises DecodeError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.block import Block, FinalizedBlock
from consensus.encoding import decode, encode
from consensus.errors import DecodeError
from consensus.genesis import Genesis, GenesisTask
from consensus.ledger import process_block
from consensus.ledger.devnet import make_devnet_genesis, sign_commit
from consensus.messages import Proposal, SignedProposal
from consensus.state import Account, Candidate, PendingDelta, Task, UnbondingEntry
from consensus.transactions import (
    Bond,
    RegisterCandidate,
    SignedTransaction,
    Transfer,
    Unbond,
    VoteCandidates,
)
from consensus.validators import ValidatorSet, compute_validator_set
from tests.consensus.ledger.chain import (
    CHAIN_ID,
    SPEC,
    USERS,
    VALIDATORS,
    Chain,
    make_state,
    make_tx,
)

addresses = st.binary(min_size=32, max_size=32)
hashes = st.binary(min_size=32, max_size=32)
u64 = st.integers(0, 2**64 - 1)

accounts = st.builds(
    Account,
    balance=u64,
    bonded=u64,
    nonce=u64,
    votes=st.lists(addresses, max_size=3).map(tuple),
    unbonding=st.lists(st.builds(UnbondingEntry, u64, u64), max_size=3).map(tuple),
)
candidates = st.builds(Candidate, st.text(max_size=64), u64, u64, st.booleans())
pending = st.builds(PendingDelta, hashes, addresses, u64, hashes, u64, u64)
tasks = st.builds(
    Task,
    task_id=u64,
    creator=addresses,
    spec=st.just(SPEC),
    version=u64,
    model_hash=hashes,
    pool=u64,
    pending=st.lists(pending, max_size=3).map(tuple),
)
valsets = st.dictionaries(addresses, st.integers(1, 2**40), max_size=6).map(compute_validator_set)
proposals = st.builds(
    SignedProposal,
    st.integers(0, 1_000).flatmap(
        lambda r: st.builds(Proposal, u64, st.just(r), st.integers(-1, r - 1), hashes, addresses)
    ),
    st.binary(min_size=64, max_size=64),
)
STATE_TYPES = (Account, Candidate, PendingDelta, Task, ValidatorSet)


@given(st.one_of(accounts, candidates, pending, tasks, valsets, proposals))
@settings(max_examples=200)
def test_wire_state_records_and_proposals_round_trip(value):
    data = encode(value)
    assert decode(type(value), data) == value


def real_finalized_block() -> FinalizedBlock:
    """A block with one transaction of each non-evidence kind, and its commit."""
    chain = Chain(make_state()).next()
    state = chain.state
    a, b = USERS[0], USERS[1]
    txs = [
        make_tx(a, state, Transfer(b.address, 5)),
        make_tx(b, state, Bond(10)),
        make_tx(VALIDATORS[0], state, VoteCandidates((VALIDATORS[1].address,))),
        make_tx(USERS[2], state, RegisterCandidate("third")),
        make_tx(USERS[3], state, SPEC),
    ]
    block = chain.propose(txs)
    assert len(block.txs) == len(txs)
    commit = sign_commit(VALIDATORS, CHAIN_ID, block.height, 0, block.hash)
    return FinalizedBlock(block, commit)


FINALIZED = real_finalized_block()


def test_wire_real_block_round_trips_and_still_applies():
    data = encode(FINALIZED)
    decoded = decode(FinalizedBlock, data)
    assert decoded == FINALIZED and encode(decoded) == data
    chain = Chain(make_state()).next()
    assert process_block(chain.state, decoded.block).state.height == 2


def test_wire_real_unbond_transaction_round_trips():
    state = make_state()
    stx = make_tx(USERS[0], state, Unbond(3))
    assert decode(SignedTransaction, encode(stx)) == stx


def test_wire_genesis_round_trips():
    genesis = make_devnet_genesis(CHAIN_ID, VALIDATORS, others=USERS)
    genesis = Genesis(
        genesis.chain_id,
        genesis.time_ms,
        genesis.params,
        genesis.accounts,
        genesis.candidates,
        (GenesisTask(USERS[0].address, SPEC),),
    )
    assert decode(Genesis, encode(genesis)) == genesis


@given(st.data())
@settings(max_examples=300)
def test_wire_mutated_real_block_raises_only_decode_error(data):
    raw = bytearray(encode(FINALIZED))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DecodeError):
        decode(FinalizedBlock, bytes(raw))
    with contextlib.suppress(DecodeError):
        decode(Block, bytes(raw[: data.draw(st.integers(0, len(raw)))]))


@given(st.binary(max_size=400), st.sampled_from([FinalizedBlock, *STATE_TYPES]))
@settings(max_examples=300)
def test_wire_random_bytes_raise_only_decode_error(data, cls):
    with contextlib.suppress(DecodeError):
        decode(cls, data)
