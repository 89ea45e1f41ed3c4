"""The discrete-event loop: N real BFT engines, a seeded network, invariants at every step.

Every input of every node goes through one event queue ordered by (virtual time, insertion),
so a run is a pure function of its settings and seed. Effects are carried out the way a node's
driver would: votes and proposals are signed (through the node's behaviour), sent through the
network model and fed back to the node itself; timeouts are scheduled; final blocks are checked
for safety the moment they appear.
"""

from __future__ import annotations

import logging
import random
import time

from consensus.bft.events import (
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
)
from consensus.bft.state import new_consensus_state
from consensus.errors import ConsensusError
from consensus.ledger import compute_genesis_state
from consensus.messages import SignedVote
from consensus.params import ChainParams
from node.sim.byzantine import Behaviour, Outgoing, make_behaviour
from node.sim.checker import SafetyChecker, ViolationKind
from node.sim.coalition import Coalition, Fork
from node.sim.config import Policy, SimConfig
from node.sim.errors import DoubleSignRefusedError, SimError, UnsupportedEffectError
from node.sim.events import (
    Deliver,
    External,
    FireTimeout,
    GossipTick,
    LocalInput,
    SimEvent,
    Start,
)
from node.sim.genesis import build_genesis
from node.sim.mempool import TransferMempool
from node.sim.network import NetworkModel
from node.sim.node import EngineInput, SimNode
from node.sim.queue import EventQueue, Scheduled
from node.sim.result import SeedResult
from node.sim.signer import Signer, derive_keypair
from node.sim.stats import RunStats
from node.sim.sync import SyncService
from node.sim.trace import TraceRecorder, describe
from node.sim.verifier import CachingVerifier

logger = logging.getLogger(__name__)


class Simulation:
    """One seed's run of a scenario; call :meth:`run` once."""

    def __init__(
        self,
        config: SimConfig,
        seed: int,
        params: ChainParams | None = None,
        *,
        nodes: list[SimNode] | None = None,
    ) -> None:
        """``nodes`` replaces the nodes built from ``config`` (an extension's own genesis);
        there must be ``config.validators`` of them, indexed 0..n-1 in order."""
        self.config = config
        self.seed = seed
        self.now = 0
        self.queue: EventQueue[SimEvent] = EventQueue()
        self.trace = TraceRecorder()
        self.stats = RunStats()
        self.verifier = CachingVerifier()
        if nodes is not None and [n.index for n in nodes] != list(range(config.validators)):
            raise SimError(f"give {config.validators} nodes indexed 0..{config.validators - 1}")
        self.nodes = (
            nodes if nodes is not None else _build_nodes(config, seed, params, self.verifier)
        )
        self.index_of = {n.behaviour.signer.address: n.index for n in self.nodes}
        self.checker = SafetyChecker(tuple(n.honest for n in self.nodes))
        self.network = NetworkModel(config.network, config.validators, random.Random(f"net/{seed}"))
        self.sync = SyncService(self)
        self._honest_left = sum(n.honest for n in self.nodes)

    def run(self) -> SeedResult:
        """Run the seed to the target height or the liveness deadline; only once."""
        if self.trace.events:
            raise SimError("a Simulation runs once; build a new one to run again")
        started = time.perf_counter()
        offsets = random.Random(f"ticks/{self.seed}")
        for node in self.nodes:
            self.queue.push(0, node.index, Start())
            tick = offsets.randrange(self.config.gossip_interval_ms)
            self.queue.push(tick, node.index, GossipTick())
        deadline = self.config.liveness_deadline_ms
        while self.queue and self._honest_left > 0:
            item = self.queue.pop()
            if item.time_ms > deadline:
                break
            self.now = item.time_ms
            self.process_event(item)
        return self.stats.to_result(self, time.perf_counter() - started)

    # ---- events -------------------------------------------------------------------------

    def process_event(self, item: Scheduled[SimEvent]) -> None:
        """Handle one event at ``self.now`` (extensions gate or add events here)."""
        node, event = self.nodes[item.node], item.event
        if isinstance(event, Deliver):
            self.stats.delivered += 1
            message = event.message
            self.trace.record(self.now, node.index, b"in%d" % event.src, describe(message))
            if isinstance(message, SignedVote | ProposalMessage):  # the hot path
                self.feed(node, message, self.nodes[event.src].honest)
            else:
                self.sync.on_deliver(node, event)
        elif isinstance(event, LocalInput):
            self.trace.record(self.now, node.index, b"own", describe(event.message))
            self.feed(node, event.message, node.honest)
        elif isinstance(event, FireTimeout):
            t = event.timeout
            key = b"%d:%d:%d" % (t.height, t.round, t.step)
            self.trace.record(self.now, node.index, b"timeout", key)
            self.feed(node, t, True)
        elif isinstance(event, GossipTick):
            self.trace.record(self.now, node.index, b"tick", b"")
            self.queue.push(self.now + self.config.gossip_interval_ms, node.index, event)
            self.sync.on_tick(node)
        elif isinstance(event, External):
            self.on_external(node, event)
        else:
            self.trace.record(self.now, node.index, b"start", b"")
            self.carry_out(node, node.start(self.now))

    def on_external(self, node: SimNode, event: External) -> None:
        """Hook: an extension's own event for ``node`` is due."""
        raise UnsupportedEffectError(f"no handler for {type(event.payload).__name__}")

    def feed(self, node: SimNode, message: EngineInput, from_honest: bool) -> None:
        """Give ``message`` to ``node``'s engine and carry out the effects; count rejections."""
        try:
            effects = node.feed(message, self.now)
        except ConsensusError:
            if from_honest:
                self.stats.rejected_honest += 1
            else:
                self.stats.rejected_byzantine += 1
            return
        except Exception as exc:  # an engine bug: report it with the seed, keep the old state
            self._on_engine_error(node, message, exc)
            return
        self.carry_out(node, effects)

    def _on_engine_error(self, node: SimNode, message: EngineInput, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {exc} on {type(message).__name__}"
        logger.warning("engine error seed=%d node=%d %s", self.seed, node.index, detail)
        self.checker.record_violation(
            ViolationKind.ENGINE_ERROR, self.now, node.index, node.state.height, detail
        )

    # ---- effects ------------------------------------------------------------------------

    def carry_out(self, node: SimNode, effects: tuple[Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, SignVote | SignProposal):
                self._sign(node, effect)
            elif isinstance(effect, Broadcast):
                if node.behaviour.is_sending():
                    self.send(node.index, Outgoing(effect.message, node.behaviour.peers))
            elif isinstance(effect, RequestProposalTxs):
                txs = node.mempool.pick(node.state.chain)
                answer = ProposalTxs(effect.height, effect.round, txs)
                self.queue.push(self.now, node.index, LocalInput(answer))
            elif isinstance(effect, ScheduleTimeout):
                fire = FireTimeout(effect.timeout)
                self.queue.push(self.now + effect.delay_ms, node.index, fire)
            elif isinstance(effect, Finalized):
                self.on_finalized(node, effect)
            elif isinstance(effect, EvidenceFound):
                self.on_evidence(node, effect)
            else:
                raise UnsupportedEffectError(f"unknown effect {type(effect).__name__}")

    def _sign(self, node: SimNode, effect: SignVote | SignProposal) -> None:
        behaviour = node.behaviour
        try:
            if isinstance(effect, SignVote):
                height = effect.vote.height
                transformed = behaviour.on_vote(effect.vote)
            else:
                height = effect.proposal.height
                transformed = behaviour.on_proposal(effect.proposal, effect.block)
        except DoubleSignRefusedError as exc:
            self.checker.record_double_sign_request(self.now, node.index, height, str(exc))
            return
        node.record_sent(transformed, height)
        self.queue.push(self.now, node.index, LocalInput(transformed.own))
        for out in transformed.outgoing:
            self.send(node.index, out)
        if isinstance(effect, SignProposal) and behaviour.is_sending():
            for vote in node.get_pol_votes(effect.proposal):
                self.send(node.index, Outgoing(vote, behaviour.peers))

    def send(self, src: int, out: Outgoing) -> None:
        """Put ``out.message`` on the wire to each recipient through the network model."""
        message, stats, now = out.message, self.stats, self.now
        for dst in out.recipients:
            stats.sent += 1
            delay = self.network.get_delay(src, dst, now)
            if delay is None:
                stats.dropped += 1
            else:
                self.queue.push(now + delay, dst, Deliver(src, message))

    def on_finalized(self, node: SimNode, effect: Finalized) -> None:
        """Hook: ``node`` finalized a block (an extension with a learning layer overrides it to
        run the ready tasks, and calls :meth:`record_final`)."""
        if effect.ready_tasks:
            raise UnsupportedEffectError("the simulated chain has no training tasks")
        self.record_final(node, effect)

    def record_final(self, node: SimNode, effect: Finalized) -> None:
        """Keep the block for sync, trace it and check it for safety."""
        block = effect.finalized.block
        node.record_final(effect.finalized)
        self.trace.record(self.now, node.index, b"final", describe(effect.finalized))
        self.checker.record_final(
            self.now, node.index, block.height, block.hash, effect.state.app_hash
        )
        if node.honest:
            self.stats.rounds.setdefault(block.height, effect.round)
            if block.height == self.config.heights:
                self._honest_left -= 1

    def on_evidence(self, node: SimNode, effect: EvidenceFound) -> None:
        """Hook: ``node`` saw a validator double-sign (counted; extensions may submit it)."""
        vote = effect.evidence.vote_a.vote
        culprit = self.index_of.get(vote.validator, -1)
        self.stats.evidence.add((culprit, vote.height, vote.round, int(vote.vote_type)))
        if culprit >= 0 and self.nodes[culprit].honest:
            detail = f"evidence against honest node {culprit} found by node {node.index}"
            self.checker.record_violation(
                ViolationKind.FALSE_EVIDENCE, self.now, node.index, vote.height, detail
            )


def _build_nodes(
    config: SimConfig, seed: int, params: ChainParams | None, verifier: CachingVerifier
) -> list[SimNode]:
    n = config.validators
    choices = random.Random(f"choices/{seed}")
    keypairs = tuple(derive_keypair(seed, i) for i in range(n))
    chain = compute_genesis_state(build_genesis(keypairs, config.stakes, config.chain_id, params))
    byzantine = sorted(choices.sample(range(n), config.byzantine))
    policies = config.policies
    policy_of = {i: policies[(seed + k) % len(policies)] for k, i in enumerate(byzantine)}
    members = tuple(i for i in byzantine if policy_of[i] is Policy.FORK)
    coalition = Coalition(members, n)
    nodes = []
    for i, kp in enumerate(keypairs):
        policy = policy_of.get(i)
        peers = tuple(j for j in range(n) if j != i)
        signer = Signer(kp, guarded=policy is None)
        if policy is Policy.FORK:
            behaviour: Behaviour = Fork(signer, config.chain_id, peers, choices, coalition)
        else:
            behaviour = make_behaviour(policy, signer, config.chain_id, peers, choices)
        mempool = TransferMempool(kp, keypairs[(i + 1) % n].address, config.txs_per_proposal)
        state = new_consensus_state(chain, kp.address, verifier)
        nodes.append(SimNode(i, state, behaviour, mempool))
    return nodes
