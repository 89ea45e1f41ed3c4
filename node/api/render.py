"""JSON shapes of the node's objects: bytes as lowercase hex, one object per response.

Every function here is pure: it turns a domain value into plain JSON data (dicts, lists, str,
int, float, bool, None). The shapes match the schemas in :mod:`node.api.schemas`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from typing import Any

from consensus.block import FinalizedBlock
from consensus.ledger import compute_backing
from consensus.state import Account, Candidate, ChainState, Task, VersionEvaluation
from consensus.transactions import SignedTransaction
from consensus.validators import Validator
from node.chain.view import StatusReport
from node.storage.chain_index import ContributionTotals
from node.storage.chain_store import Contribution, ModelRecord, TxLocation

Json = dict[str, Any]


def to_json(value: Any) -> Any:
    """Plain JSON data for a value built from dataclasses, tuples, mappings and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _key(key: object) -> str:
    return key.hex() if isinstance(key, bytes) else str(key)


def render_status(status: StatusReport) -> Json:
    report: Json = to_json(status)  # task ids become string keys
    return report


def render_block(finalized: FinalizedBlock) -> Json:
    block, commit = finalized.block, finalized.commit
    return {
        "height": block.height,
        "hash": block.hash.hex(),
        "round": commit.round,
        "header": to_json(block.header),
        "txs": [stx.hash.hex() for stx in block.txs],
        "commit": {
            "height": commit.height,
            "round": commit.round,
            "block_hash": commit.block_hash.hex(),
            "signers": [sig.validator.hex() for sig in commit.signatures],
        },
    }


def render_transaction(stx: SignedTransaction) -> Json:
    tx = stx.tx
    return {
        "chain_id": tx.chain_id,
        "sender": tx.sender.hex(),
        "nonce": tx.nonce,
        "fee": tx.fee,
        "kind": type(tx.body).__name__,
        "body": to_json(tx.body),
        "signature": stx.signature.hex(),
    }


def render_located_tx(location: TxLocation, stx: SignedTransaction) -> Json:
    return {
        "hash": stx.hash.hex(),
        "height": location.height,
        "position": location.position,
        "sender": location.sender.hex(),
        "kind": location.kind,
        "tx": render_transaction(stx),
    }


def render_account(address: bytes, account: Account, height: int, next_nonce: int) -> Json:
    return {
        "address": address.hex(),
        "height": height,
        "next_nonce": next_nonce,
        "balance": account.balance,
        "bonded": account.bonded,
        "unbonding": [
            {"amount": e.amount, "release_height": e.release_height} for e in account.unbonding
        ],
        "nonce": account.nonce,
        "votes": [v.hex() for v in account.votes],
    }


def render_earned(totals: ContributionTotals, blocks_proposed: int, block_reward: int) -> Json:
    """What an account earned: delta rewards, and blocks proposed (each paid the block reward
    plus its transactions' fees)."""
    return {
        "delta_rewards": totals.reward,
        "deltas_counted": totals.deltas,
        "deltas_accepted": totals.accepted,
        "blocks_proposed": blocks_proposed,
        "block_rewards": blocks_proposed * block_reward,
    }


def render_params(state: ChainState) -> Json:
    return {"chain_id": state.chain_id, "height": state.height, "params": to_json(state.params)}


def render_validators(state: ChainState) -> Json:
    return {
        "height": state.height,
        "total_power": state.validators.total_power,
        "validators": [_render_validator(v, state) for v in state.validators.validators],
    }


def _render_validator(validator: Validator, state: ChainState) -> Json:
    candidate = state.candidates.get(validator.address)
    return {
        "address": validator.address.hex(),
        "power": validator.power,
        "proposer_priority": validator.proposer_priority,
        "moniker": candidate.moniker if candidate else "",
        "jailed": candidate.is_jailed(state.height + 1) if candidate else False,
    }


def render_candidates(state: ChainState) -> Json:
    backing = compute_backing(state.accounts.values())
    return {
        "height": state.height,
        "candidates": [
            _render_candidate(address, candidate, backing.get(address, 0), state)
            for address, candidate in sorted(state.candidates.items())
        ],
    }


def _render_candidate(
    address: bytes, candidate: Candidate, backing: int, state: ChainState
) -> Json:
    return {
        "address": address.hex(),
        "moniker": candidate.moniker,
        "registered_at": candidate.registered_at,
        "backing": backing,
        "is_validator": address in state.validators,
        "jailed": candidate.is_jailed(state.height + 1),
        "jailed_until": candidate.jailed_until,
        "tombstoned": candidate.tombstoned,
    }


def render_task(task: Task) -> Json:
    return {
        "task_id": task.task_id,
        "creator": task.creator.hex(),
        "spec": to_json(task.spec),
        "version": task.version,
        "model_hash": task.model_hash.hex(),
        "pool": task.pool,
        "pending": len(task.pending),
        "network_accuracy": get_network_accuracy(task),
        "evaluations": [render_evaluation(e) for e in task.evaluations],
    }


def get_network_accuracy(task: Task) -> float | None:
    """The sample-weighted accuracy the nodes reported for the newest version with reports."""
    return task.evaluations[-1].accuracy if task.evaluations else None


def render_evaluation(evaluation: VersionEvaluation) -> Json:
    """One version's federated evaluation: its reports, their samples, accuracy and loss."""
    return {
        "version": evaluation.version,
        "reports": evaluation.reports,
        "samples": evaluation.samples,
        "accuracy": evaluation.accuracy if evaluation.samples else None,
        "loss": evaluation.loss if evaluation.samples else None,
    }


def render_tasks(state: ChainState) -> Json:
    return {
        "height": state.height,
        "tasks": [render_task(task) for _, task in sorted(state.tasks.items())],
    }


def render_model(record: ModelRecord, evaluation: VersionEvaluation | None = None) -> Json:
    """A model version: ``accuracy`` is this node's own measurement, ``network_accuracy`` the
    chain's sample-weighted mean of the reports for it (null once the chain no longer keeps
    that version's evaluation, or before any delta reported on it)."""
    accuracy = record.accuracy
    measured = evaluation is not None and evaluation.samples > 0
    return {
        "version": record.version,
        "model_hash": record.model_hash.hex(),
        "height": record.height,
        "accuracy": accuracy if accuracy is not None and math.isfinite(accuracy) else None,
        "network_accuracy": evaluation.accuracy if evaluation and measured else None,
        "reports": evaluation.reports if evaluation else 0,
    }


def render_contribution(contribution: Contribution) -> Json:
    return {
        "tx_hash": contribution.tx_hash.hex(),
        "sender": contribution.sender.hex(),
        "height": contribution.height,
        "accepted": contribution.accepted,
        "reward": contribution.reward,
        "reason": contribution.reason,
    }
