"""Divergence detection: a properly committed next block with another app hash halts the node,
unless our own aggregations for the last block are still running."""

from __future__ import annotations

import dataclasses

import pytest

from consensus.bft.state import ConsensusState, new_consensus_state
from consensus.block import FinalizedBlock
from consensus.ledger import compute_genesis_state, make_block
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_commit
from consensus.state import ChainState, PendingDelta
from node.chain.sync import StateDivergedError, check_divergence
from node.ops.testnet import TestnetOptions, build_genesis, build_task

KEYS = make_keys(4, namespace=91)
GENESIS_STATE = compute_genesis_state(make_devnet_genesis("syncnet", KEYS, time_ms=5))


def finalized_on(state: ChainState, signers: int = 3) -> FinalizedBlock:
    block = make_block(state, (), KEYS[0].address, state.time_ms + 1, None)
    commit = sign_commit(KEYS[:signers], "syncnet", 1, 0, block.hash)
    return FinalizedBlock(block, commit)


def view_of(state: ChainState) -> ConsensusState:
    return new_consensus_state(state, None)


def test_sync_matching_block_passes() -> None:
    check_divergence(view_of(GENESIS_STATE), finalized_on(GENESIS_STATE))


def test_sync_committed_block_on_another_state_halts() -> None:
    other = dataclasses.replace(GENESIS_STATE, minted=1)  # any difference changes the app hash
    with pytest.raises(StateDivergedError, match="diverged"):
        check_divergence(view_of(GENESIS_STATE), finalized_on(other))


def test_sync_block_without_quorum_proves_nothing() -> None:
    other = dataclasses.replace(GENESIS_STATE, minted=1)
    check_divergence(view_of(GENESIS_STATE), finalized_on(other, signers=2))


def test_sync_pending_aggregation_is_not_divergence() -> None:
    options = TestnetOptions(validators=4, chain_id="syncnet")
    task, _ = build_task(options)
    state = compute_genesis_state(
        dataclasses.replace(build_genesis(options, list(KEYS), task), time_ms=5)
    )
    pending = tuple(
        PendingDelta(bytes([i]) * 32, KEYS[i].address, 0, bytes(32), 10, 5) for i in range(4)
    )
    ready = dataclasses.replace(
        state, tasks={1: dataclasses.replace(state.tasks[1], pending=pending)}
    )
    aggregated = dataclasses.replace(state, minted=7)  # what the network has after aggregating
    check_divergence(view_of(ready), finalized_on(aggregated))
