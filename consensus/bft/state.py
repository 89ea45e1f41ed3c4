"""The BFT engine's state: the chain, the round state of the current height and its votes.

``ConsensusState`` is frozen and replaced by every handler. The round state follows the
variables of Algorithm 1 of "The latest gossip on BFT consensus" (height, round, step,
lockedValue/lockedRound, validValue/validRound) plus what an implementation needs: the proposals
and blocks received per round, the cached validity of each block, the "for the first time"
flags of the upon-rules, and the bookkeeping of the commit step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from consensus.bft.events import ProposalMessage, Step
from consensus.bft.votes import EMPTY_HEIGHT_VOTES, HeightVotes
from consensus.block import Block, Commit
from consensus.crypto import Verifier, verify_signature
from consensus.messages import SignedVote
from consensus.primitives import Address, Hash32, Height, Round, TaskId
from consensus.state import ChainState
from consensus.validators import ValidatorSet

FutureKey = tuple[Round, int, Address]
"""(round, 0 for a proposal or the vote type, author) of a message buffered for height + 1."""


@dataclass(frozen=True)
class AppliedBlock:
    """A block that ``process_block`` accepted: the state after it and the tasks it made ready."""

    state: ChainState
    ready_tasks: tuple[TaskId, ...]


@dataclass(frozen=True)
class RoundState:
    """Where the engine stands within one height."""

    height: Height
    round: Round = 0
    step: Step = Step.PROPOSE
    locked_value: Block | None = None
    locked_round: Round = -1
    valid_value: Block | None = None
    valid_round: Round = -1
    proposals: Mapping[Round, ProposalMessage] = field(default_factory=dict)
    blocks: Mapping[Hash32, Block] = field(default_factory=dict)
    validity: Mapping[Hash32, AppliedBlock | None] = field(default_factory=dict)
    prevote_timeout_scheduled: bool = False
    precommit_timeout_scheduled: bool = False
    polka_seen: bool = False
    commit_timeout_done: bool = False
    awaiting_aggregations: bool = False


@dataclass(frozen=True)
class ConsensusState:
    """Everything one node's BFT engine knows.

    ``chain`` is the state after the last final block; while ``rs.step`` is ``COMMIT`` that
    already includes the block just decided at ``rs.height``. ``future`` buffers messages for
    the next height; ``last_commit`` is the commit of the previous block (what our next block
    carries).
    """

    chain: ChainState
    me: Address | None
    rs: RoundState
    votes: HeightVotes = EMPTY_HEIGHT_VOTES
    future: Mapping[FutureKey, SignedVote | ProposalMessage] = field(default_factory=dict)
    last_commit: Commit | None = None
    verify: Verifier = field(default=verify_signature, compare=False)

    @property
    def height(self) -> Height:
        return self.rs.height

    @property
    def round(self) -> Round:
        return self.rs.round

    @property
    def step(self) -> Step:
        return self.rs.step

    @property
    def validators(self) -> ValidatorSet:
        """The validator set of the height being decided."""
        return self.chain.validators


def new_consensus_state(
    chain: ChainState, me: Address | None, verify: Verifier = verify_signature
) -> ConsensusState:
    """The engine's state before ``on_start``: height ``chain.height + 1``, round 0."""
    return ConsensusState(chain=chain, me=me, rs=RoundState(height=chain.height + 1), verify=verify)


def with_rs(state: ConsensusState, rs: RoundState) -> ConsensusState:
    """``state`` with a new round state (faster than ``dataclasses.replace``)."""
    return ConsensusState(
        state.chain, state.me, rs, state.votes, state.future, state.last_commit, state.verify
    )


def with_votes(state: ConsensusState, votes: HeightVotes) -> ConsensusState:
    return ConsensusState(
        state.chain, state.me, state.rs, votes, state.future, state.last_commit, state.verify
    )
