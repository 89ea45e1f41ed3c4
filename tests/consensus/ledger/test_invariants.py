"""Hypothesis: the supply invariant holds after any sequence of transactions and blocks.

``compute_supply(state) == genesis supply + minted - burned`` after every step, whether the
step was applied or rejected; a rejected step leaves the state exactly as it was.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from consensus.bft.events import TaskAggregation
from consensus.block import compute_last_commit_hash
from consensus.errors import ConsensusError, InvalidBlockError
from consensus.genesis import GenesisTask
from consensus.ledger import (
    compute_genesis_state,
    compute_supply,
    make_block,
    process_aggregations,
    process_block,
    process_transaction,
)
from consensus.ledger.devnet import make_devnet_genesis
from consensus.messages import SignedVote, Vote, VoteType
from consensus.state import ChainState
from consensus.transactions import (
    Bond,
    DoubleSignEvidence,
    ModelDelta,
    RegisterCandidate,
    SignedTransaction,
    Transfer,
    Unbond,
    VoteCandidates,
)
from tests.consensus.ledger.chain import (
    BALANCE,
    CHAIN_ID,
    KEY_BY_ADDRESS,
    SPEC,
    STAKE,
    USERS,
    VALIDATORS,
    Chain,
    make_params,
    make_tx,
)

KEYS = (*VALIDATORS, *USERS)
PARAMS = make_params(
    epoch_length=3,
    unbonding_period=2,
    downtime_window=4,
    downtime_jail_blocks=3,
    evidence_max_age=10,
    max_voted_candidates=3,
)

key_index = st.integers(0, len(KEYS) - 1)
amounts = st.sampled_from([0, 1, 7, 1_000, 500_000, 10**9, 10**12])
actions = st.one_of(
    st.tuples(st.just("transfer"), key_index, key_index, amounts),
    st.tuples(st.just("bond"), key_index, amounts),
    st.tuples(st.just("unbond"), key_index, amounts),
    st.tuples(st.just("register"), key_index),
    st.tuples(st.just("vote"), key_index, st.lists(key_index, max_size=4)),
    st.tuples(st.just("task"), key_index, amounts),
    st.tuples(st.just("delta"), key_index, st.integers(1, 3), st.integers(0, 2)),
    st.tuples(st.just("evidence"), key_index, key_index),
    st.tuples(st.just("block"), st.sampled_from([-1, 3, 3])),
    st.tuples(st.just("block"), st.sampled_from([-1, 3, 3])),
    st.tuples(st.just("aggregate"), st.integers(0, 7)),
    st.tuples(st.just("bad_block")),
)


def make_body(action: tuple[Any, ...], state: ChainState) -> Any:
    kind = action[0]
    if kind == "transfer":
        return Transfer(KEYS[action[2]].address, action[3])
    if kind == "bond":
        return Bond(action[2])
    if kind == "unbond":
        return Unbond(action[2])
    if kind == "register":
        return RegisterCandidate(f"c{action[1]}")
    if kind == "vote":
        return VoteCandidates(tuple(KEYS[i].address for i in action[2]))
    if kind == "task":
        return dataclasses.replace(SPEC, reward_pool=action[2], min_deltas=2)
    if kind == "delta":
        return ModelDelta(action[2], action[3], b"\x01" * 32, 10, 5)
    return make_evidence(KEYS[action[2]], max(1, state.height))


def make_evidence(key: Any, height: int) -> DoubleSignEvidence:
    votes = []
    for block_hash in (b"\x01" * 32, None):
        vote = Vote(VoteType.PRECOMMIT, height, 0, block_hash, key.address)
        votes.append(SignedVote(vote, key.sign(vote.sign_bytes(CHAIN_ID))))
    return DoubleSignEvidence(votes[0], votes[1])


def signers_without(chain: Chain, absent: int) -> tuple[Any, ...]:
    """All validators of the next height, minus ``absent`` if the rest still hold a quorum."""
    keys = chain.signers()
    if absent < 0:
        return keys
    missing = VALIDATORS[absent].address
    rest = tuple(k for k in keys if k.address != missing)
    power = sum(chain.state.validators.get_power(k.address) for k in rest)
    return rest if chain.state.validators.is_quorum(power) else keys


def aggregate(state: ChainState, mask: int) -> ChainState:
    results = []
    for task_id, task in sorted(state.tasks.items()):
        if task.is_ready():
            accepted = tuple(d.tx_hash for i, d in enumerate(task.pending) if mask >> i & 1)
            results.append(TaskAggregation(task_id, accepted, bytes([mask]) * 32))
    return process_aggregations(state, tuple(results))


class Runner:
    """Applies actions to a chain, keeping a mempool of transactions that applied."""

    def __init__(self) -> None:
        genesis = make_devnet_genesis(
            CHAIN_ID, VALIDATORS, PARAMS, stake=STAKE, balance=BALANCE, others=USERS
        )
        task = GenesisTask(USERS[0].address, dataclasses.replace(SPEC, reward_pool=1_000))
        genesis = dataclasses.replace(genesis, tasks=(task,))
        self.chain = Chain(compute_genesis_state(genesis))
        self.pending = self.chain.state
        self.mempool: list[SignedTransaction] = []
        self.genesis_supply = compute_supply(self.chain.state)

    def step(self, action: tuple[Any, ...]) -> None:
        if action[0] == "block":
            block = self.chain.propose(self.mempool)
            assert block.txs == tuple(self.mempool)
            self.chain = self.chain.apply(block, signers_without(self.chain, action[1]))
            self.mempool, self.pending = [], self.chain.state
            self.check(self.chain.state)
            jailed = [c for c in self.pending.candidates.values() if c.jailed_until]
            event(f"blocks with a downtime jail on record: {bool(jailed)}")
        elif action[0] == "bad_block":
            self.reject_bad_block()
        elif action[0] == "aggregate":
            if not self.mempool:
                self.chain = dataclasses.replace(
                    self.chain, state=aggregate(self.chain.state, action[1])
                )
                self.pending = self.chain.state
                self.check(self.pending)
                event("aggregated")
        else:
            self.submit(action)

    def reject_bad_block(self) -> None:
        """A block repeating a transaction (or, if none, with a wrong app hash) is rejected."""
        state = self.chain.state
        block = self.chain.propose(self.mempool)
        if self.mempool:
            txs = (*block.txs, self.mempool[-1])
            block = make_block(state, txs, block.header.proposer, block.header.time_ms, None)
            block = dataclasses.replace(block, last_commit=self.chain.last_commit)
            header = dataclasses.replace(
                block.header, last_commit_hash=compute_last_commit_hash(self.chain.last_commit)
            )
        else:
            header = dataclasses.replace(block.header, app_hash=bytes(32))
        before = state.app_hash
        with pytest.raises(InvalidBlockError):
            process_block(state, dataclasses.replace(block, header=header))
        assert dataclasses.replace(state).app_hash == before

    def submit(self, action: tuple[Any, ...]) -> None:
        key = KEYS[action[1]]
        stx = make_tx(key, self.pending, make_body(action, self.pending))
        before = self.pending.app_hash
        try:
            self.pending = process_transaction(self.pending, stx)
        except ConsensusError:
            assert dataclasses.replace(self.pending).app_hash == before
            return
        event(f"applied {action[0]}")
        self.mempool.append(stx)
        self.check(self.pending)

    def check(self, state: ChainState) -> None:
        expected = self.genesis_supply + state.minted - state.burned
        assert compute_supply(state) == expected
        for address, account in state.accounts.items():
            assert address in KEY_BY_ADDRESS or account.nonce == 0
            assert min(account.balance, account.bonded) >= 0


def run_steps(steps):
    runner = Runner()
    for action in steps:
        runner.step(action)
    runner.step(("block", -1))
    state = runner.chain.state
    assert compute_supply(state) == runner.genesis_supply + state.minted - state.burned


@settings(max_examples=150, deadline=None)
@given(st.lists(actions, max_size=40))
def test_invariants_supply_is_conserved_except_rewards_and_slashes(steps):
    run_steps(steps)


@pytest.mark.slow
@settings(max_examples=3_000, deadline=None)
@given(st.lists(actions, max_size=120))
def test_invariants_supply_is_conserved_over_long_histories(steps):
    run_steps(steps)
