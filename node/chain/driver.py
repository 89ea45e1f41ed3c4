"""The consensus driver: the one task that owns consensus state.

Every input (gossip, timeouts, our own signed messages, block sync, aggregation results) arrives on
one channel. For each input the driver appends it to the consensus WAL, applies the pure engine
step, then carries out the returned effects in order. Signing goes through the persistent signer,
which records what it signs before it signs.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import trio
from trio_typing import TaskStatus

from consensus.bft import engine
from consensus.bft.events import (
    AggregationsDone,
    Broadcast,
    Effect,
    EvidenceFound,
    Finalized,
    ProposalMessage,
    ProposalTxs,
    RequestProposalTxs,
    ScheduleTimeout,
    SignProposal,
    SignVote,
    Step,
    Timeout,
)
from consensus.bft.state import ConsensusState
from consensus.bft.votes import get_vote_sign_bytes
from consensus.block import Block, FinalizedBlock
from consensus.errors import ConsensusError
from consensus.messages import Proposal, SignedProposal, SignedVote, Vote, VoteType
from consensus.state import ChainState
from node.chain.hooks import MisbehaviourHooks
from node.chain.inputs import DriverInput, decode_input, encode_input
from node.chain.mempool import Mempool
from node.chain.pacing import BlockPacing
from node.chain.signer import PersistentSigner
from node.chain.spans import DeltaTimeline, SpanHistograms
from node.chain.waiting import wait_for_any
from node.errors import DoubleSignError
from node.storage.chain_store import ChainStore
from node.storage.wal import WriteAheadLog, read_records

logger = logging.getLogger(__name__)

MAX_GOSSIPED_BLOCK_TXS_BYTES = 48 * 1024
"""Proposals travel by gossip (under 64 KiB with the header, commit and signatures)."""

Handler = Callable[[ConsensusState, object, int], tuple[ConsensusState, tuple[Effect, ...]]]
HANDLERS: dict[type, Handler] = {
    ProposalMessage: engine.on_proposal,  # type: ignore[dict-item]
    SignedVote: engine.on_vote,  # type: ignore[dict-item]
    Timeout: engine.on_timeout,  # type: ignore[dict-item]
    ProposalTxs: engine.on_proposal_txs,  # type: ignore[dict-item]
    AggregationsDone: engine.on_aggregations_done,  # type: ignore[dict-item]
    FinalizedBlock: engine.on_finalized_block,  # type: ignore[dict-item]
}


class Gossip(Protocol):
    """Where the driver sends what it signs (the node wires this to the network)."""

    async def publish_vote(self, vote: SignedVote) -> None: ...

    async def publish_proposal(self, message: ProposalMessage) -> None: ...

    async def publish_evidence(self, evidence: EvidenceFound) -> None: ...


@dataclass
class DriverStats:
    """Counters for metrics and status."""

    inputs: int = 0
    rejected: int = 0
    refused_signatures: int = 0
    finalized: int = 0
    last_rejection: str = ""
    finality_ms: deque[int] = field(default_factory=lambda: deque(maxlen=1000))
    """Proposal received to block final, per height, most recent last."""


FinalizedListener = Callable[[Finalized], Awaitable[None]]
ValidProposalListener = Callable[[bytes, ChainState, tuple[int, ...]], Awaitable[None]]
"""``listener(block_hash, state_after_block, ready_tasks)`` for a valid proposed block of the
current height that makes tasks ready (started in the background, once per block)."""


@dataclass
class Driver:
    """Owns a ConsensusState; see the module docstring."""

    state: ConsensusState
    signer: PersistentSigner | None
    wal: WriteAheadLog
    store: ChainStore
    mempool: Mempool
    gossip: Gossip
    now_ms: Callable[[], int]
    listeners: list[FinalizedListener] = field(default_factory=list)
    proposal_listeners: list[ValidProposalListener] = field(default_factory=list)
    """Told of each valid proposed block that makes tasks ready, before it is final."""
    stats: DriverStats = field(default_factory=DriverStats)
    misbehaviour: MisbehaviourHooks | None = None
    """A Byzantine role's hooks (``node.byzantine``, test networks only); None when honest."""
    timeline: DeltaTimeline = field(default_factory=lambda: DeltaTimeline(SpanHistograms()))
    """Span timestamps of the learning loop (proposal, final, derived are seen here)."""
    pacing: BlockPacing = field(default_factory=BlockPacing)
    """Whether heights follow back to back or wait for work (``node.chain.pacing``)."""

    def __post_init__(self) -> None:
        self._send_channel, self._receive = trio.open_memory_channel[DriverInput](1024)
        self._proposal_seen_ms: dict[int, int] = {}
        self._ready_since_s: dict[int, float] = {}
        self._next_height_seen = trio.Event()
        self._all_precommitted = trio.Event()
        self._late_precommits: set[bytes] = set()
        self._announced: set[bytes] = set()
        self.chain_changed = trio.Event()
        """Set (and replaced) whenever the final chain state changes: a block or aggregations."""

    @property
    def inbox(self) -> trio.MemorySendChannel[DriverInput]:
        """Send inputs here (every task that feeds consensus holds a clone)."""
        return self._send_channel

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            records = read_records(self.wal.path)
            self.state, effects = engine.on_start(self.state, self.now_ms())
            if records:
                await self._replay(effects, records)
            else:
                await self._carry_out_all(effects)
            task_status.started()
            async for item in self._receive:
                await self.process(item)

    async def process(self, item: DriverInput) -> None:
        """Apply one input and everything it causes (our own signed messages included)."""
        pending: deque[DriverInput] = deque([item])
        while pending:
            effects = self._step(pending.popleft(), log_to_wal=True)
            for effect in effects:
                pending.extend(await self._carry_out(effect))

    def _step(self, item: DriverInput, *, log_to_wal: bool) -> tuple[Effect, ...]:
        if log_to_wal:
            self.wal.append(encode_input(item))
        self.stats.inputs += 1
        if isinstance(item, ProposalMessage):
            self._note_proposal(item)
        if isinstance(item, ProposalMessage | SignedVote):
            self._note_height_of(item)
        if isinstance(item, SignedVote):
            self._note_late_precommit(item)
        chain_before = self.state.chain
        try:
            self.state, effects = HANDLERS[type(item)](self.state, item, self.now_ms())
        except ConsensusError as exc:
            self.stats.rejected += 1
            self.stats.last_rejection = f"{type(item).__name__}: {exc}"
            logger.debug("rejected input kind=%s reason=%s", type(item).__name__, exc)
            return ()
        self._announce_valid_proposals()
        if self.state.chain is not chain_before:
            if isinstance(item, AggregationsDone):
                self.store.save_state(self.state.chain)  # the snapshot now has the new models
                self.mempool.update(self.state.chain, ())  # re-check against the new versions
                self._note_derived(item)
            self.chain_changed.set()
            self.chain_changed = trio.Event()
        return effects

    def _announce_valid_proposals(self) -> None:
        """Start the proposal listeners for each block of this height that the engine found
        valid and that makes tasks ready (the learning layer prepares its aggregation)."""
        if not self.proposal_listeners or self.state.rs.step == Step.COMMIT:
            return
        for block_hash, applied in self.state.rs.validity.items():
            if applied is None or not applied.ready_tasks or block_hash in self._announced:
                continue
            if len(self._announced) > 64:
                self._announced.clear()  # hashes of old heights; a block's height never returns
            self._announced.add(block_hash)
            for listener in self.proposal_listeners:
                self._nursery.start_soon(listener, block_hash, applied.state, applied.ready_tasks)

    def _note_height_of(self, message: ProposalMessage | SignedVote) -> None:
        """Another node started the next height: so do we (it had something to propose)."""
        if isinstance(message, SignedVote):
            height = message.vote.height
        else:
            height = message.signed.proposal.height
        if height > self.state.rs.height:
            self._next_height_seen.set()

    def _note_late_precommit(self, signed: SignedVote) -> None:
        """A precommit of the decided height and round that came after the decision (the engine
        drops it): once every validator's is in, the commit wait has nothing left to wait for."""
        if self.pacing.create_empty_blocks:  # the commit wait ends on its timer alone then
            return
        vote, commit, rs = signed.vote, self.state.last_commit, self.state.rs
        if rs.step != Step.COMMIT or commit is None or vote.vote_type != VoteType.PRECOMMIT:
            return
        if (vote.height, vote.round) != (commit.height, commit.round) or vote.height != rs.height:
            return
        sign_bytes = get_vote_sign_bytes(vote, self.state.chain.chain_id)
        if self.state.verify(vote.validator, sign_bytes, signed.signature):
            self._late_precommits.add(vote.validator)
            self._check_all_precommitted()

    def _check_all_precommitted(self) -> None:
        """Set the event once every validator precommitted. ``state.chain`` already holds the
        decided block, so these are the next height's validators: one that joins there has
        no precommit here and the wait runs its full time, the safe side."""
        commit = self.state.last_commit
        if commit is None:
            return
        voted = set(self.state.votes.get(commit.round, VoteType.PRECOMMIT).votes)
        voted |= self._late_precommits
        if all(v.address in voted for v in self.state.chain.validators.validators):
            self._all_precommitted.set()

    def _note_proposal(self, message: ProposalMessage) -> None:
        height = message.block.height
        if height not in self._proposal_seen_ms:
            self._proposal_seen_ms[height] = self.now_ms()
            self.timeline.on_proposal((tx.hash for tx in message.block.txs), trio.current_time())

    def _note_derived(self, done: AggregationsDone) -> None:
        now_s = trio.current_time()
        ready_since = self._ready_since_s.pop(done.height, None)
        if ready_since is not None:
            self.timeline.spans.observe("final_to_derived", now_s - ready_since)
        for result in done.results:
            task = self.state.chain.tasks.get(result.task_id)
            if task is not None:
                self.timeline.on_derived(result.task_id, task.version, now_s)

    async def _carry_out_all(self, effects: tuple[Effect, ...]) -> None:
        pending: deque[DriverInput] = deque()
        for effect in effects:
            pending.extend(await self._carry_out(effect))
        while pending:
            for effect in self._step(pending.popleft(), log_to_wal=True):
                pending.extend(await self._carry_out(effect))

    async def _carry_out(self, effect: Effect) -> list[DriverInput]:
        """Carry out one effect; return the inputs it feeds back."""
        match effect:
            case SignVote(vote=vote):
                signed = self._sign_vote(vote)
                if signed is None:
                    return []
                await self.gossip.publish_vote(signed)
                if self.misbehaviour is not None:
                    await self.misbehaviour.after_vote(signed, self.gossip)
                return [signed]
            case SignProposal(proposal=proposal, block=block):
                message = self._sign_proposal(proposal, block)
                if message is None:
                    return []
                await self.gossip.publish_proposal(message)
                if self.misbehaviour is not None:
                    await self.misbehaviour.after_proposal(message, self.state, self.gossip)
                return [message]
            case Broadcast(message=SignedVote() as vote):
                await self.gossip.publish_vote(vote)
            case Broadcast(message=ProposalMessage() as message):
                await self.gossip.publish_proposal(message)
            case RequestProposalTxs(height=height, round=round_):
                params = self.state.chain.params
                max_bytes = min(params.max_block_bytes, MAX_GOSSIPED_BLOCK_TXS_BYTES)
                txs = self.mempool.reap(params.max_block_txs, max_bytes)
                return [ProposalTxs(height, round_, txs)]
            case ScheduleTimeout(timeout=timeout, delay_ms=delay_ms):
                self._schedule(timeout, delay_ms)
            case Finalized():
                await self._on_finalized(effect)
            case EvidenceFound():
                await self.gossip.publish_evidence(effect)
        return []

    def _sign_vote(self, vote: Vote) -> SignedVote | None:
        if self.signer is None:
            return None
        self.wal.make_durable()  # what led to this vote is on disk before the vote exists
        try:
            return SignedVote(vote, self.signer.sign_vote(vote))
        except DoubleSignError as exc:
            self.stats.refused_signatures += 1
            logger.warning("signer refused vote height=%d reason=%s", vote.height, exc)
            return None

    def _sign_proposal(self, proposal: Proposal, block: Block) -> ProposalMessage | None:
        if self.signer is None:
            return None
        self.wal.make_durable()
        try:
            signature = self.signer.sign_proposal(proposal)
        except DoubleSignError as exc:
            self.stats.refused_signatures += 1
            logger.warning("signer refused proposal height=%d reason=%s", proposal.height, exc)
            return None
        return ProposalMessage(SignedProposal(proposal, signature), block)

    def _schedule(self, timeout: Timeout, delay_ms: int) -> None:
        if timeout.step == Step.COMMIT and not self.pacing.create_empty_blocks:
            self._next_height_seen = trio.Event()
            self._all_precommitted, self._late_precommits = trio.Event(), set()
            self._check_all_precommitted()
            if self.state.future:  # the next height's messages came before we decided ours
                self._next_height_seen.set()
            self._nursery.start_soon(self._fire_commit_timeout_when_due, timeout, delay_ms)
        else:
            self._nursery.start_soon(self._fire_timeout, timeout, delay_ms)

    async def _fire_commit_timeout_when_due(self, timeout: Timeout, delay_ms: int) -> None:
        """After ``timeout_commit``, wait for work, the next height or the empty-block interval
        (``node.chain.pacing``) before the engine may start the next height. As CometBFT's
        ``skip_timeout_commit``, ``timeout_commit`` ends early once every validator's precommit
        of the decided round is in: it is the pause that lets a slower validator receive the
        decision before the next height starts, and none is left behind then."""
        now = trio.current_time()
        deadline = now + max(self.pacing.empty_blocks_interval_s, delay_ms / 1000)
        with trio.move_on_after(delay_ms / 1000):
            await self._all_precommitted.wait()
        batch_deadline = stale_deadline = math.inf
        while trio.current_time() < deadline and not self._next_height_seen.is_set():
            if len(self.mempool) and not self.state.rs.awaiting_aggregations:
                now = trio.current_time()
                if self.mempool.holds_ready_work(fresh=True):
                    break
                if self.mempool.holds_ready_work() and stale_deadline == math.inf:
                    stale_deadline = now + self.pacing.fresh_deltas_wait_s
                if batch_deadline == math.inf:
                    batch_deadline = now + self.pacing.delta_batch_window_s
                if now >= min(batch_deadline, stale_deadline):
                    break
            self.mempool.added = added = trio.Event()
            with trio.move_on_at(min(deadline, batch_deadline, stale_deadline)):
                await wait_for_any(added, self._next_height_seen, self.chain_changed)
        await self._fire_timeout(timeout, 0)

    async def _fire_timeout(self, timeout: Timeout, delay_ms: int) -> None:
        await trio.sleep(delay_ms / 1000)
        try:
            await self._send_channel.send(timeout)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            return

    async def _on_finalized(self, effect: Finalized) -> None:
        finalized = effect.finalized
        height = finalized.block.height
        if self.store.get_height() < height:
            self.store.save_finalized(finalized, effect.round, effect.state)  # and next valset
        seen = self._proposal_seen_ms.pop(height, None)
        if seen is not None:
            self.stats.finality_ms.append(self.now_ms() - seen)
        for stale in [h for h in self._proposal_seen_ms if h < height]:
            del self._proposal_seen_ms[stale]
        self.mempool.update(effect.state, [tx.hash for tx in finalized.block.txs])
        self.timeline.on_final((tx.hash for tx in finalized.block.txs), trio.current_time())
        if effect.ready_tasks:
            self._ready_since_s = {height: trio.current_time()}
        self.wal.reset()
        self.stats.finalized += 1
        for listener in self.listeners:
            await listener(effect)

    async def _replay(self, start_effects: tuple[Effect, ...], records: list[bytes]) -> None:
        """Re-apply the inputs logged since the last final height (after a crash).

        Our own signed messages are in the log as inputs, so replayed effects are not fed back;
        the signer re-issues identical signatures and refuses anything that would differ.
        """
        logger.info("replaying consensus WAL records=%d", len(records))
        for effect in start_effects:
            await self._replay_effect(effect)
        for record in records:
            for effect in self._step(decode_input(record), log_to_wal=False):
                await self._replay_effect(effect)

    async def _replay_effect(self, effect: Effect) -> None:
        match effect:
            case SignVote(vote=vote):
                self._sign_vote(vote)  # the signer re-issues the same signature or refuses
            case ScheduleTimeout(timeout=timeout, delay_ms=delay_ms):
                self._schedule(timeout, delay_ms)
            case Finalized():
                await self._on_finalized(effect)
            case _:
                return


def restore_consensus_state(store: ChainStore, state: ConsensusState) -> ConsensusState:
    """``state`` with the last commit from the store (what our next proposal must carry)."""
    height = store.get_height()
    if height == 0:
        return state
    finalized = store.get_finalized(height)
    return replace(state, last_commit=None if finalized is None else finalized.commit)
