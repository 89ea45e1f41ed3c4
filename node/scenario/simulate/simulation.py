"""The scenario simulation: the consensus simulator extended with learning, transactions and
the manifest's perturbations, all in virtual time on one deterministic event queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from consensus.bft.events import AggregationsDone, EvidenceFound, Finalized, ProposalMessage
from consensus.block import Block
from consensus.state import ChainState
from consensus.transactions import ModelDelta
from node.scenario.manifest import Byzantine
from node.scenario.simulate.errors import SimulateError
from node.scenario.simulate.events import (
    AggregationReady,
    Control,
    Probe,
    ResendTick,
    SpamTick,
    TrainingDue,
    TxGossip,
    WorkloadTick,
)
from node.scenario.simulate.faults import (
    NodeStatus,
    build_controls,
    build_partitions,
    get_settled_ms,
    to_ms,
)
from node.scenario.simulate.learning import Learning, Outcome
from node.scenario.simulate.lifecycle import Lifecycle
from node.scenario.simulate.pool import NodePool
from node.scenario.simulate.progress import Progress
from node.scenario.simulate.scene import VersionRecord
from node.scenario.simulate.training import TrainingService
from node.scenario.simulate.txs import RESEND_MS, SPAM_MS, TxService
from node.scenario.simulate.workload import SimWorkload
from node.scenario.simulate.world import TASK_ID, World, build_nodes
from node.sim.byzantine import Outgoing
from node.sim.config import NetworkConfig, SimConfig
from node.sim.errors import UnsupportedEffectError
from node.sim.events import Deliver, External, LocalInput, SimEvent
from node.sim.node import SimNode
from node.sim.queue import Scheduled
from node.sim.runner import Simulation
from node.sim.verifier import CachingVerifier

AGGREGATION_MS = 5
"""Virtual time a node's aggregation takes before its engine hears the result."""
SHARED_STATES = 64
"""Post-aggregation states kept for sharing between nodes (see ``_share_chain``)."""


class ScenarioSimulation(Simulation):
    """One seed's run of a manifest; call :meth:`run_scenario` once.

    It is the :class:`~node.scenario.simulate.scene.Scene` its services are built on."""

    def __init__(self, world: World) -> None:
        manifest = world.manifest
        verifier = CachingVerifier()
        pools = [NodePool(world.chain, verifier) for _ in manifest.nodes]
        nodes = build_nodes(world, verifier, pools)
        config = SimConfig(
            validators=len(nodes),
            heights=1,
            network=NetworkConfig(partitions=build_partitions(manifest)),
            chain_id=world.chain.chain_id,
        )
        super().__init__(config, world.seed, world.genesis.params, nodes=nodes)
        self.verifier = verifier
        self.world = world
        self.pools = pools
        self.learning = Learning(manifest.task.model, world.initial_weights)
        self.status = NodeStatus(len(nodes))
        self.spammers = {
            i for i, n in enumerate(manifest.nodes) if n.byzantine is Byzantine.SPAMMER
        }
        self.txs = TxService(self)
        self.progress = Progress(self, self.txs)
        self.training = TrainingService(self, self.txs, self.progress)
        self.lifecycle = Lifecycle(self, self.training)
        self.workload = SimWorkload(self, self.txs) if manifest.workload.accounts else None
        self.model_hashes: list[dict[int, bytes]] = [{} for _ in nodes]
        self.versions: dict[int, VersionRecord] = {}
        self.final_ms: dict[int, int] = {}
        self.proposal_ms: dict[int, int] = {}
        self.rewards: dict[bytes, int] = {}
        self.accepted: dict[bytes, int] = {}
        self._settled: set[int] = set()
        self._aggregated: dict[tuple[int, AggregationsDone], tuple[ChainState, ChainState]] = {}
        self.done = False

    def run_scenario(self) -> None:
        """Play the manifest until its duration, or until every check passes (stop_when_done)."""
        if self.trace.events:
            raise SimulateError("a ScenarioSimulation runs once; build a new one to run again")
        manifest = self.world.manifest
        for time_ms, control in build_controls(manifest):
            self.queue.push(time_ms, control.node, External(control))
        self.queue.push(0, 0, External(Probe()))
        if self.workload is not None:
            self.workload.start()
        for index in range(len(self.nodes)):
            self.record_models(index)
        end_ms = max(to_ms(manifest.timing.duration_s), get_settled_ms(manifest))
        self._run_until(end_ms, lambda: self.done)
        workload = self.workload
        if workload is not None:  # the clients re-submit what is outstanding, nothing new
            workload.submitting = False
            drain_ms = self.now + to_ms(workload.spec.drain_s)
            self._run_until(drain_ms, lambda: not workload.clients.outstanding)

    def _run_until(self, end_ms: int, is_finished: Callable[[], bool]) -> None:
        while self.queue and not is_finished():
            due = self.queue.peek_time()
            if due is None or due > end_ms:
                self.now = end_ms
                break
            item = self.queue.pop()
            self.now = item.time_ms
            self.process_event(item)

    # ---- gating: down, paused, data availability ----------------------------------------

    def process_event(self, item: Scheduled[SimEvent]) -> None:
        event, index = item.event, item.node
        if isinstance(event, External) and isinstance(event.payload, Probe):
            self.progress.on_probe()
            return
        if isinstance(event, External) and isinstance(event.payload, WorkloadTick):
            if self.workload is not None:
                self.workload.on_tick()
            return
        if isinstance(event, External) and isinstance(event.payload, Control):
            self.lifecycle.on_control(event.payload)
            return
        if self.status.down[index]:
            return
        held = self.status.held.get(index)
        if held is not None:
            held.append(item)
            return
        if isinstance(event, Deliver | LocalInput) and isinstance(event.message, ProposalMessage):
            block = event.message.block
            if not self._holds_payloads(index, block):
                self.trace.record(self.now, index, b"da-gate", b"%d" % block.height)
                return
            self.proposal_ms.setdefault(block.height, self.now)
        super().process_event(item)

    def _holds_payloads(self, index: int, block: Block) -> bool:
        return all(
            self.learning.is_available(stx.tx.body.payload_hash, index)
            for stx in block.txs
            if isinstance(stx.tx.body, ModelDelta)
        )

    def send(self, src: int, out: Outgoing) -> None:
        """A cut-off node's links are down both ways."""
        cut = self.status.cut
        if cut and (src in cut or any(dst in cut for dst in out.recipients)):
            kept = () if src in cut else tuple(d for d in out.recipients if d not in cut)
            self.stats.sent += len(out.recipients) - len(kept)
            self.stats.dropped += len(out.recipients) - len(kept)
            out = Outgoing(out.message, kept)
        super().send(src, out)

    def send_external(self, src: int, recipients: tuple[int, ...], payload: object) -> None:
        """Send one of the scenario's own messages through the same network model."""
        cut = self.status.cut
        for dst in recipients:
            self.stats.sent += 1
            delay = None if src in cut or dst in cut else self.network.get_delay(src, dst, self.now)
            if delay is None:
                self.stats.dropped += 1
            else:
                self.queue.push(self.now + delay, dst, External(payload))

    # ---- hooks --------------------------------------------------------------------------

    def on_finalized(self, node: SimNode, effect: Finalized) -> None:
        self.record_final(node, effect)
        block = effect.finalized.block
        if node.honest:
            self.final_ms.setdefault(block.height, self.now)
        self.pools[node.index].mempool.update(effect.state, [tx.hash for tx in block.txs])
        if not effect.ready_tasks:
            return
        outcomes = [self.learning.aggregate(effect.state.tasks[t]) for t in effect.ready_tasks]
        self._settle(block.height, outcomes)
        done = AggregationsDone(block.height, tuple(o.result for o in outcomes))
        self.queue.push(self.now + AGGREGATION_MS, node.index, External(AggregationReady(done)))

    def on_evidence(self, node: SimNode, effect: EvidenceFound) -> None:
        super().on_evidence(node, effect)
        if node.honest:
            self.txs.submit(node.index, effect.evidence)

    def on_external(self, node: SimNode, event: External) -> None:
        payload, index = event.payload, node.index
        self.trace.record(self.now, index, b"ext", type(payload).__name__.encode())
        incarnation = self.status.starts[index]
        if isinstance(payload, TxGossip):
            self.txs.on_tx(index, payload)
        elif isinstance(payload, AggregationReady):
            before = node.state.chain
            self.feed(node, payload.done, True)
            self._share_chain(node, before, payload.done)
            self.record_models(index)
            self.training.maybe_start(index)
        elif isinstance(payload, TrainingDue):
            if payload.incarnation == incarnation:
                self.training.finish(index, payload)
        elif isinstance(payload, ResendTick):
            if payload.incarnation == incarnation:
                self.txs.resend(index)
                self.queue.push(self.now + RESEND_MS, index, event)
        elif isinstance(payload, SpamTick):
            if payload.incarnation == incarnation:
                self.txs.spam(index, self.now // SPAM_MS)
                self.queue.push(self.now + SPAM_MS, index, event)
        else:
            raise UnsupportedEffectError(f"no handler for {type(payload).__name__}")

    # ---- learning bookkeeping -----------------------------------------------------------

    def _share_chain(self, node: SimNode, before: ChainState, done: AggregationsDone) -> None:
        """Nodes that settle the same aggregations on the same state share the resulting state
        object: ``process_aggregations`` is a pure function, so it is equal anyway, and the
        engine's block memo (keyed by state identity) then applies each next block once for all
        nodes instead of once per node."""
        after = node.state.chain
        if after is before:
            return
        key = (id(before), done)
        shared = self._aggregated.get(key)
        if shared is not None and shared[0] is before:
            node.state = replace(node.state, chain=shared[1])
            return
        if len(self._aggregated) >= SHARED_STATES:
            del self._aggregated[next(iter(self._aggregated))]
        self._aggregated[key] = (before, after)  # holding ``before`` keeps its id unique

    def _settle(self, height: int, outcomes: list[Outcome]) -> None:
        """Count rewards and accepted deltas once per aggregated height."""
        if height in self._settled:
            return
        self._settled.add(height)
        for outcome in outcomes:
            for sender, reward in outcome.rewards.items():
                self.rewards[sender] = self.rewards.get(sender, 0) + reward
            for sender, count in outcome.accepted_by_sender.items():
                self.accepted[sender] = self.accepted.get(sender, 0) + count

    def record_models(self, index: int) -> None:
        """Note the node's current model version (and the run's first sight of it)."""
        chain = self.nodes[index].state.chain
        task = chain.tasks[TASK_ID]
        self.pools[index].mempool.update(chain, ())
        self.model_hashes[index].setdefault(task.version, task.model_hash)
        if task.version not in self.versions and self.world.manifest.nodes[index].is_honest:
            self.versions[task.version] = VersionRecord(chain.height, self.now, task.model_hash)
