"""valid(v) of the paper: the block applies to the chain and names a plausible proposer.

``process_block`` runs at most once per block hash and height in a node: its outcome is cached in
the round state and reused when the block is decided. Across nodes that hold the very same
parent ``ChainState`` object (the simulator's nodes, which all start from one genesis object and
then share every outcome), a small memo keyed by that object's identity runs it once in all:
``process_block`` is a pure function of (state, block), so sharing changes no verdict.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from consensus.bft.state import AppliedBlock, ConsensusState, with_rs
from consensus.block import Block, compute_last_commit_hash, compute_txs_hash
from consensus.crypto import Verifier
from consensus.errors import ConsensusError, InvalidBlockError
from consensus.ledger import process_block
from consensus.primitives import Address, Hash32, Round
from consensus.state import ChainState
from consensus.validators import ValidatorSet, get_proposer

MEMO_SIZE: Final = 256

_MemoKey = tuple[int, Hash32, int]
_memo: dict[_MemoKey, tuple[ChainState, Verifier, AppliedBlock | None]] = {}


def validate_block_body(block: Block) -> None:
    """Raise InvalidBlockError unless the transactions and last commit are those of the header.

    The header hash names a block everywhere (proposals, votes, caches); checking the body
    against it first keeps a relayed block with swapped contents from being cached as invalid
    under the hash of a valid one.
    """
    header = block.header
    if compute_txs_hash(block.txs) != header.txs_hash:
        raise InvalidBlockError("the block's transactions do not match its header")
    if compute_last_commit_hash(block.last_commit) != header.last_commit_hash:
        raise InvalidBlockError("the block's last commit does not match its header")


def apply_cached(state: ConsensusState, block: Block) -> tuple[ConsensusState, AppliedBlock | None]:
    """The outcome of ``process_block`` for ``block`` (None if invalid), cached by block hash."""
    block_hash = block.hash
    validity = state.rs.validity
    if block_hash in validity:
        return state, validity[block_hash]
    applied = compute_applied(state.chain, block, state.verify)
    rs = replace(state.rs, validity={**validity, block_hash: applied})
    return with_rs(state, rs), applied


def compute_applied(chain: ChainState, block: Block, verify: Verifier) -> AppliedBlock | None:
    """``process_block`` as an AppliedBlock, or None if it raises; memoised by identity."""
    key = (id(chain), block.hash, id(verify))
    hit = _memo.get(key)
    if hit is not None and hit[0] is chain and hit[1] is verify:
        return hit[2]
    try:
        outcome = process_block(chain, block, verify)
    except ConsensusError:
        applied = None
    else:
        applied = AppliedBlock(outcome.state, tuple(outcome.ready_tasks))
    if len(_memo) >= MEMO_SIZE:
        del _memo[next(iter(_memo))]
    _memo[key] = (chain, verify, applied)  # holding ``chain`` keeps its id from being reused
    return applied


def is_proposer_plausible(
    valset: ValidatorSet, header_proposer: Address, round_: Round, pol_round: Round
) -> bool:
    """Whether the header's proposer may have built a block proposed at (round, pol_round).

    A fresh proposal (``pol_round`` -1) carries a block of the round's proposer; a re-proposed
    valid value was first built by the proposer of some round up to ``pol_round``.
    """
    if pol_round < 0:
        return header_proposer == get_proposer(valset, round_)
    return any(header_proposer == get_proposer(valset, r) for r in range(pol_round + 1))


def check_valid(
    state: ConsensusState, block: Block, round_: Round, pol_round: Round
) -> tuple[ConsensusState, AppliedBlock | None]:
    """valid(v) for ``block`` proposed at ``round_`` with ``pol_round``: its outcome or None."""
    if not is_proposer_plausible(state.validators, block.header.proposer, round_, pol_round):
        return state, None
    return apply_cached(state, block)
