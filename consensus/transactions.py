"""Transactions: a signed envelope (chain id, sender, nonce, fee) around one body kind.

The core carries every kind and applies its ledger effects; the learning-specific checks of a
model delta's payload belong to the layers above.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar, Final

from consensus.crypto import Domain, Verifier, compute_hash, compute_sign_bytes, verify_signature
from consensus.encoding import MaxLen, encode
from consensus.messages import SignedVote
from consensus.primitives import (
    U64,
    AddressField,
    ChainIdField,
    Hash32,
    HashField,
    NameField,
    SignatureField,
)

MAX_TRANSACTION_BYTES: Final = 8 * 1024
MAX_VOTED_CANDIDATES: Final = 30
MAX_TASK_RULE_ENTRIES: Final = 16
MAX_TASK_CONFIG_ENTRIES: Final = 64
MAX_LAYOUT_TENSORS: Final = 1024
MAX_TENSOR_NAME: Final = 128
MAX_TENSOR_DIMS: Final = 8
MAX_EVAL_SAMPLES: Final = 2**32 - 1
MAX_EVAL_LOSS_MICRO: Final = 2**32 - 1
LOSS_SCALE: Final = 1_000_000

RuleValue = int | float | str
ConfigValue = bool | int | float | str


@dataclass(frozen=True)
class Transfer:
    """Move ``amount`` from the sender's balance to ``recipient``."""

    TAG: ClassVar[int] = 1
    recipient: AddressField
    amount: U64


@dataclass(frozen=True)
class Bond:
    """Lock ``amount`` of the sender's balance as stake that backs the candidates it votes for."""

    TAG: ClassVar[int] = 2
    amount: U64


@dataclass(frozen=True)
class Unbond:
    """Start releasing ``amount`` of bonded stake; it returns after the unbonding period."""

    TAG: ClassVar[int] = 3
    amount: U64


@dataclass(frozen=True)
class RegisterCandidate:
    """Make the sender a block-producer candidate under a human-readable name."""

    TAG: ClassVar[int] = 4
    moniker: NameField


@dataclass(frozen=True)
class VoteCandidates:
    """Delegate the sender's bonded stake, split equally, to these candidates (replaces)."""

    TAG: ClassVar[int] = 5
    candidates: Annotated[tuple[AddressField, ...], MaxLen(MAX_VOTED_CANDIDATES)]


@dataclass(frozen=True)
class DoubleSignEvidence:
    """Two votes by one validator for the same height, round and step but different blocks."""

    TAG: ClassVar[int] = 6
    vote_a: SignedVote
    vote_b: SignedVote


@dataclass(frozen=True)
class LayoutTensor:
    """One named float32 tensor of a task's flat parameter vector (C order)."""

    name: Annotated[str, MaxLen(MAX_TENSOR_NAME)]
    shape: Annotated[tuple[U64, ...], MaxLen(MAX_TENSOR_DIMS)]


@dataclass(frozen=True)
class TaskApp:
    """The learning app a task runs, by the SHA-256 of its bundle, and the parameter layout
    that app must produce (``layout_hash`` covers names, shapes and the float32 dtype).

    The chain never runs the app: validation, aggregation and rewards use the layout only.
    ``config`` overrides the app's default hyper-parameters for every node that trains it.
    """

    app_hash: HashField
    layout_hash: HashField
    layout: Annotated[tuple[LayoutTensor, ...], MaxLen(MAX_LAYOUT_TENSORS)]
    config: Annotated[Mapping[str, ConfigValue], MaxLen(MAX_TASK_CONFIG_ENTRIES)]


@dataclass(frozen=True)
class CreateTask:
    """Open a training task: the declarative rules every node runs, and an escrowed reward pool.

    ``aggregation`` holds the rule and its parameters (e.g. ``{"rule": "krum", "f": 1}``); it
    is interpreted by the learning layer, carried verbatim by the chain. ``app`` names the
    task's learning app and layout; without it ``model_id`` names a built-in catalog model.
    """

    TAG: ClassVar[int] = 7
    model_id: NameField
    initial_model_hash: HashField
    aggregation: Annotated[Mapping[str, RuleValue], MaxLen(MAX_TASK_RULE_ENTRIES)]
    min_deltas: U64
    max_staleness: U64
    clip_norm: float
    reward_per_delta: U64
    reward_pool: U64
    max_payload_bytes: U64
    app: TaskApp | None = None


@dataclass(frozen=True)
class Evaluation:
    """The sender's validation result for a delta's base version, on its own data.

    Integers, so that every node sums reports the same way: ``samples`` validation samples,
    ``correct`` of them classified right (accuracy = correct / samples) and the mean loss in
    millionths (``loss_micro``, at most :data:`MAX_EVAL_LOSS_MICRO`: a larger loss is sent as
    that). The figures are the sender's word, signed like the delta.
    """

    samples: U64
    correct: U64
    loss_micro: U64


@dataclass(frozen=True)
class ModelDelta:
    """Announce a model delta for ``task_id`` trained from ``base_version``; payload by hash.

    ``evaluation`` is the sender's validation result for ``base_version`` (federated
    evaluation: the chain's accuracy of a version is the sample-weighted mean of the reports).
    """

    TAG: ClassVar[int] = 8
    task_id: U64
    base_version: U64
    payload_hash: HashField
    payload_size: U64
    num_samples: U64
    evaluation: Evaluation | None = None


TxBody = (
    Transfer
    | Bond
    | Unbond
    | RegisterCandidate
    | VoteCandidates
    | DoubleSignEvidence
    | CreateTask
    | ModelDelta
)


@dataclass(frozen=True)
class Transaction:
    """The signed part of a transaction."""

    chain_id: ChainIdField
    sender: AddressField
    nonce: U64
    fee: U64
    body: TxBody

    def sign_bytes(self) -> bytes:
        return compute_sign_bytes(Domain.TRANSACTION, self.chain_id, self)


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction and its sender's signature; identified by the hash of its encoding."""

    tx: Transaction
    signature: SignatureField

    @functools.cached_property
    def hash(self) -> Hash32:
        return compute_hash(encode(self))

    def is_signature_valid(self, verify: Verifier = verify_signature) -> bool:
        return verify(self.tx.sender, self.tx.sign_bytes(), self.signature)
