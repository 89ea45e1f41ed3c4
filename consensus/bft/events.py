"""The BFT engine's inputs and effects, as data.

The engine (``consensus.bft.engine``) exposes pure handlers of the form
``on_<input>(state, input, now_ms) -> (new_state, effects)``; the shell (a node's driver or the
simulator) carries the effects out and feeds everything that happens back in as inputs:

- ``SignVote`` / ``SignProposal``: the shell's signer signs (after persisting the last signed
  height/round/step), broadcasts the signed message and feeds it back to the engine itself.
- ``RequestProposalTxs``: we are the proposer of a round with no valid block to re-propose;
  the shell answers with ``ProposalTxs`` (its mempool's picks) and the engine builds the block.
- ``ScheduleTimeout``: the shell delivers ``Timeout`` after ``delay_ms``.
- ``Finalized``: a block is final; the shell persists it with its commit and runs the learning
  layer for ``ready_tasks``, then reports with ``AggregationsDone`` (if any were ready).
- ``EvidenceFound``: we saw a validator double-sign; the shell submits the evidence as a
  transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from consensus.block import Block, Commit, FinalizedBlock
from consensus.messages import Proposal, SignedProposal, SignedVote, Vote
from consensus.primitives import Hash32, Height, Round, TaskId
from consensus.state import ChainState
from consensus.transactions import DoubleSignEvidence, SignedTransaction


class Step(enum.IntEnum):
    """Steps of a Tendermint round (``COMMIT``: decided, waiting to start the next height)."""

    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3
    COMMIT = 4


# ---- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalMessage:
    """What a proposer gossips: its signed proposal and the block it names."""

    signed: SignedProposal
    block: Block


@dataclass(frozen=True)
class Timeout:
    """A timeout that fires for (height, round, step) unless the engine has moved on."""

    height: Height
    round: Round
    step: Step


@dataclass(frozen=True)
class ProposalTxs:
    """The shell's answer to ``RequestProposalTxs``: transactions for our block, in order."""

    height: Height
    round: Round
    txs: tuple[SignedTransaction, ...]


@dataclass(frozen=True)
class TaskAggregation:
    """The learning layer's verdict for one ready task: accepted deltas and the new model."""

    task_id: TaskId
    accepted_tx_hashes: tuple[Hash32, ...]
    model_hash: Hash32


@dataclass(frozen=True)
class AggregationsDone:
    """Results for every task that ``Finalized.ready_tasks`` listed for ``height``."""

    height: Height
    results: tuple[TaskAggregation, ...]


# ---- effects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignVote:
    vote: Vote


@dataclass(frozen=True)
class SignProposal:
    proposal: Proposal
    block: Block


@dataclass(frozen=True)
class Broadcast:
    """Gossip an already signed message (used when the engine relays, e.g. a commit)."""

    message: ProposalMessage | SignedVote


@dataclass(frozen=True)
class RequestProposalTxs:
    height: Height
    round: Round


@dataclass(frozen=True)
class ScheduleTimeout:
    timeout: Timeout
    delay_ms: int


@dataclass(frozen=True)
class Finalized:
    """``finalized.block`` is final; ``state`` is the chain state after applying it."""

    finalized: FinalizedBlock
    state: ChainState
    ready_tasks: tuple[TaskId, ...]
    round: Round


@dataclass(frozen=True)
class EvidenceFound:
    evidence: DoubleSignEvidence


Effect = (
    SignVote
    | SignProposal
    | Broadcast
    | RequestProposalTxs
    | ScheduleTimeout
    | Finalized
    | EvidenceFound
)

__all__ = [
    "AggregationsDone",
    "Broadcast",
    "Commit",
    "Effect",
    "EvidenceFound",
    "Finalized",
    "ProposalMessage",
    "ProposalTxs",
    "RequestProposalTxs",
    "ScheduleTimeout",
    "SignProposal",
    "SignVote",
    "Step",
    "TaskAggregation",
    "Timeout",
]
