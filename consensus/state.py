"""The chain state: frozen records, replaced (never mutated) by every transition.

Mappings in these records are treated as immutable: a transition builds new dicts and a new
``ChainState``; a rejected input leaves the old state untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from consensus.crypto import compute_hash
from consensus.encoding import encode
from consensus.params import ChainParams
from consensus.primitives import (
    U64,
    ZERO_HASH,
    AddressField,
    Amount,
    Hash32,
    HashField,
    Height,
    NameField,
)
from consensus.transactions import LOSS_SCALE, CreateTask
from consensus.validators import ValidatorSet


@dataclass(frozen=True)
class UnbondingEntry:
    """Stake on its way back to the balance, released at ``release_height``."""

    amount: U64
    release_height: U64


@dataclass(frozen=True)
class Account:
    """An account's balance, bonded stake, unbonding queue, nonce and candidate votes."""

    balance: U64 = 0
    bonded: U64 = 0
    nonce: U64 = 0
    votes: tuple[AddressField, ...] = ()
    unbonding: tuple[UnbondingEntry, ...] = ()

    @property
    def total(self) -> Amount:
        return self.balance + self.bonded + sum(e.amount for e in self.unbonding)


@dataclass(frozen=True)
class Candidate:
    """A registered block-producer candidate."""

    moniker: NameField
    registered_at: U64
    jailed_until: U64 = 0
    tombstoned: bool = False

    def is_jailed(self, height: Height) -> bool:
        return self.tombstoned or height < self.jailed_until


@dataclass(frozen=True)
class PendingDelta:
    """A model delta included in a final block, waiting for the task's next aggregation."""

    tx_hash: HashField
    sender: AddressField
    base_version: U64
    payload_hash: HashField
    payload_size: U64
    num_samples: U64


@dataclass(frozen=True)
class VersionEvaluation:
    """The federated evaluation of one model version: the sums over every delta's report
    for that base version (``loss_sum`` is the sum of samples times loss in millionths,
    saturating at the U64 limit)."""

    version: U64
    reports: U64 = 0
    samples: U64 = 0
    correct: U64 = 0
    loss_sum: U64 = 0

    @property
    def accuracy(self) -> float:
        """The sample-weighted mean accuracy of the reports."""
        return self.correct / self.samples if self.samples else 0.0

    @property
    def loss(self) -> float:
        """The sample-weighted mean loss of the reports."""
        return self.loss_sum / self.samples / LOSS_SCALE if self.samples else 0.0


@dataclass(frozen=True)
class Task:
    """A training task's rules and its progress: model version, model hash, pool, pending,
    and the federated evaluation of its recent versions (oldest first)."""

    task_id: U64
    creator: AddressField
    spec: CreateTask
    version: U64 = 0
    model_hash: HashField = ZERO_HASH
    pool: U64 = 0
    pending: tuple[PendingDelta, ...] = ()
    evaluations: tuple[VersionEvaluation, ...] = ()

    def get_evaluation(self, version: int) -> VersionEvaluation | None:
        """The federated evaluation of ``version``, if the chain still keeps one."""
        return next((e for e in self.evaluations if e.version == version), None)

    def is_ready(self) -> bool:
        """Whether enough deltas are pending for the next aggregation."""
        return len(self.pending) >= max(1, self.spec.min_deltas)


@dataclass(frozen=True)
class ChainState:
    """Everything that every node must agree on after each final block."""

    chain_id: str
    params: ChainParams
    height: Height = 0
    time_ms: int = 0
    last_block_hash: Hash32 = ZERO_HASH
    accounts: Mapping[bytes, Account] = field(default_factory=dict)
    candidates: Mapping[bytes, Candidate] = field(default_factory=dict)
    validators: ValidatorSet = field(default_factory=lambda: ValidatorSet(()))
    validator_history: tuple[tuple[Height, ValidatorSet], ...] = ()
    missed_blocks: Mapping[bytes, tuple[Height, ...]] = field(default_factory=dict)
    tasks: Mapping[int, Task] = field(default_factory=dict)
    next_task_id: int = 1
    minted: Amount = 0
    burned: Amount = 0

    def get_account(self, address: bytes) -> Account:
        return self.accounts.get(address, EMPTY_ACCOUNT)

    @functools.cached_property
    def app_hash(self) -> Hash32:
        """Hash of the canonical encoding of the whole state (what the next header carries)."""
        return compute_hash(encode(_state_obj(self)))


EMPTY_ACCOUNT = Account()


def _state_obj(state: ChainState) -> list[object]:
    return [
        state.chain_id,
        state.params.to_mapping(),
        state.height,
        state.time_ms,
        state.last_block_hash,
        state.accounts,
        state.candidates,
        state.validators,
        state.validator_history,
        state.missed_blocks,
        state.tasks,
        state.next_task_id,
        state.minted,
        state.burned,
    ]
