"""Building a block: what a proposer puts in it, with every header field derived."""

from __future__ import annotations

from consensus.block import Block, BlockHeader, Commit, compute_last_commit_hash, compute_txs_hash
from consensus.crypto import Verifier, verify_signature
from consensus.errors import ConsensusError
from consensus.ledger.blocks import begin_block, get_tx_size
from consensus.ledger.transition import process_transaction
from consensus.primitives import Address, TimestampMs
from consensus.state import ChainState
from consensus.transactions import SignedTransaction


def build_block(
    state: ChainState,
    txs: tuple[SignedTransaction, ...],
    proposer: Address,
    time_ms: TimestampMs,
    last_commit: Commit | None,
    *,
    verify: Verifier = verify_signature,
) -> Block:
    """The block ``proposer`` proposes: the txs that apply cleanly in order, within limits."""
    working = begin_block(state, last_commit, verify)
    chosen: list[SignedTransaction] = []
    size = 0
    for stx in txs:
        if len(chosen) >= state.params.max_block_txs:
            break
        tx_size = get_tx_size(stx)
        if size + tx_size > state.params.max_block_bytes:
            continue
        try:
            working = process_transaction(working, stx, verify)
        except ConsensusError:
            continue
        chosen.append(stx)
        size += tx_size
    return make_block(state, tuple(chosen), proposer, time_ms, last_commit)


def make_block(
    state: ChainState,
    txs: tuple[SignedTransaction, ...],
    proposer: Address,
    time_ms: TimestampMs,
    last_commit: Commit | None,
) -> Block:
    """A block with these exact contents and every header field derived from ``state``."""
    header = BlockHeader(
        chain_id=state.chain_id,
        height=state.height + 1,
        time_ms=time_ms,
        proposer=proposer,
        parent_hash=state.last_block_hash,
        txs_hash=compute_txs_hash(txs),
        last_commit_hash=compute_last_commit_hash(last_commit),
        app_hash=state.app_hash,
        validators_hash=state.validators.hash,
    )
    return Block(header=header, txs=txs, last_commit=last_commit)
