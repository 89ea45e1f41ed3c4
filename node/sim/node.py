"""One simulated validator: the real BFT engine's state plus the shell's bookkeeping.

The node feeds inputs to the pure engine handlers and remembers what the shell needs to carry
out effects: its signer (through its behaviour), its mempool, the blocks it finalized (to answer
sync requests), the latest proposal it holds and what it sent in its latest round (to
re-broadcast while stalled).
"""

from __future__ import annotations

from consensus.bft.engine import (
    on_aggregations_done,
    on_finalized_block,
    on_proposal,
    on_proposal_txs,
    on_start,
    on_timeout,
    on_vote,
)
from consensus.bft.events import AggregationsDone, Effect, ProposalMessage, ProposalTxs, Timeout
from consensus.bft.state import ConsensusState
from consensus.block import FinalizedBlock
from consensus.messages import Proposal, SignedVote, VoteType
from consensus.primitives import Height
from node.sim.byzantine import Behaviour, Outgoing, Transformed
from node.sim.mempool import ProposalSource

EngineInput = (
    ProposalMessage | SignedVote | ProposalTxs | FinalizedBlock | Timeout | AggregationsDone
)


class SimNode:
    """A validator of the simulated network (mutable shell state around the frozen engine)."""

    __slots__ = (
        "behaviour",
        "blocks",
        "honest",
        "index",
        "latest_proposal",
        "mempool",
        "recent",
        "recent_height",
        "stall_marker",
        "state",
    )

    def __init__(
        self, index: int, state: ConsensusState, behaviour: Behaviour, mempool: ProposalSource
    ) -> None:
        self.index = index
        self.state = state
        self.behaviour = behaviour
        self.honest = behaviour.policy is None
        self.mempool = mempool
        self.blocks: list[FinalizedBlock] = []
        self.latest_proposal: ProposalMessage | None = None
        self.recent: list[Outgoing] = []
        self.recent_height: Height = 0
        self.stall_marker = (-1, -1, -1)

    def restart(self, state: ConsensusState) -> None:
        """A crash and restart: the engine resumes from ``state`` (rebuilt from what was
        persisted); what only lived in memory (proposal held, messages to re-send) is gone."""
        self.state = state
        self.latest_proposal = None
        self.recent, self.recent_height = [], 0
        self.stall_marker = (-1, -1, -1)

    def start(self, now_ms: int) -> tuple[Effect, ...]:
        self.state, effects = on_start(self.state, now_ms)
        return effects

    def feed(self, message: EngineInput, now_ms: int) -> tuple[Effect, ...]:
        """Give one input to the engine; ConsensusError propagates with the state unchanged."""
        state = self.state
        if isinstance(message, SignedVote):
            self.state, effects = on_vote(state, message, now_ms)
        elif isinstance(message, ProposalMessage):
            self.state, effects = on_proposal(state, message, now_ms)
            self._keep_proposal(message)
        elif isinstance(message, Timeout):
            self.state, effects = on_timeout(state, message, now_ms)
        elif isinstance(message, ProposalTxs):
            self.state, effects = on_proposal_txs(state, message, now_ms)
        elif isinstance(message, AggregationsDone):
            self.state, effects = on_aggregations_done(state, message, now_ms)
        else:
            self.state, effects = on_finalized_block(state, message, now_ms)
        return effects

    def record_final(self, finalized: FinalizedBlock) -> None:
        self.blocks.append(finalized)
        self.latest_proposal = None

    def record_sent(self, transformed: Transformed, height: Height) -> None:
        """Remember what we sent at the current height (every round) for re-broadcasting."""
        if height != self.recent_height:
            self.recent, self.recent_height = [], height
        self.recent.extend(transformed.outgoing)

    def get_rebroadcast(self) -> list[Outgoing]:
        """What to re-send while stalled: our messages of this height and the proposal we hold.

        All rounds, not only the latest: a peer still in an earlier round may miss exactly our
        precommit of that round to reach its precommit timeout.
        """
        if self.recent_height != self.state.height:
            return []
        out = list(self.recent)
        proposal = self.latest_proposal
        if proposal is not None and proposal.signed.proposal.height == self.state.height:
            peers = self.behaviour.peers
            out.append(Outgoing(proposal, peers))
            out.extend(Outgoing(v, peers) for v in self.get_pol_votes(proposal.signed.proposal))
        return out

    def get_pol_votes(self, proposal: Proposal) -> list[SignedVote]:
        """The prevotes we hold that justify re-proposing a block (its proof of lock)."""
        if proposal.pol_round < 0 or proposal.height != self.state.height:
            return []
        prevotes = self.state.votes.get(proposal.pol_round, VoteType.PREVOTE)
        found = (prevotes.get_vote_for(a, proposal.block_hash) for a in prevotes.votes)
        return [v for v in found if v is not None]

    def is_stalled(self) -> bool:
        """Whether the engine has not moved (height, round, step) since the previous check."""
        state = self.state
        marker = (state.height, state.round, int(state.step))
        stalled = marker == self.stall_marker
        self.stall_marker = marker
        return stalled

    def _keep_proposal(self, message: ProposalMessage) -> None:
        current = self.latest_proposal
        p = message.signed.proposal
        if current is None or (p.height, p.round) > current.signed.key:
            self.latest_proposal = message
