"""The ledger: the chain's state transition, pure and deterministic.

Public API (see docs/protocol.md for the rules):

- ``compute_genesis_state(genesis) -> ChainState``
- ``process_transaction(state, stx, verify=verify_signature) -> ChainState``
- ``build_block(state, txs, proposer, time_ms, last_commit, *, verify=verify_signature)
  -> Block``
- ``process_block(state, block, verify=verify_signature) -> BlockOutcome``
- ``verify_commit(valset, chain_id, commit, verify=verify_signature) -> None``
- ``process_aggregations(state, results) -> ChainState``
- ``get_validator_set_at(state, height) -> ValidatorSet``

Builders for dev chains and tests (real keys and signatures) are in ``consensus.ledger.devnet``.
"""

from __future__ import annotations

from consensus.ledger.accounts import FEE_COLLECTOR
from consensus.ledger.blocks import BlockOutcome, process_block
from consensus.ledger.building import build_block, make_block
from consensus.ledger.commit import verify_commit
from consensus.ledger.election import compute_elected_powers, get_validator_set_at
from consensus.ledger.errors import InvalidAggregationError, UnknownHeightError
from consensus.ledger.genesis import compute_genesis_state
from consensus.ledger.staking import compute_backing, compute_shares
from consensus.ledger.supply import compute_supply
from consensus.ledger.tasks import get_ready_tasks, process_aggregations
from consensus.ledger.transition import process_transaction

__all__ = [
    "FEE_COLLECTOR",
    "BlockOutcome",
    "InvalidAggregationError",
    "UnknownHeightError",
    "build_block",
    "compute_backing",
    "compute_elected_powers",
    "compute_genesis_state",
    "compute_shares",
    "compute_supply",
    "get_ready_tasks",
    "get_validator_set_at",
    "make_block",
    "process_aggregations",
    "process_block",
    "process_transaction",
    "verify_commit",
]
