"""Node lifecycles: first starts, crashes and restarts, pauses and disconnections.

A crashed node restarts from what a real node persists (its final chain state, with an
aggregation the crash interrupted finished as ``ChainNode._recover_aggregations`` does, and
the last commit); what lived only in memory (mempool, the proposal it held, its training job)
is gone.
"""

from __future__ import annotations

import random
from dataclasses import replace

from consensus.bft.state import new_consensus_state
from consensus.ledger import get_ready_tasks, process_aggregations
from node.scenario.manifest import Action
from node.scenario.simulate.events import Control, ResendTick, SpamTick
from node.scenario.simulate.scene import Scene
from node.scenario.simulate.training import TrainingService
from node.scenario.simulate.txs import RESEND_MS, SPAM_MS
from node.sim.events import External, GossipTick, Start


class Lifecycle:
    """Carries out the manifest's starts and perturbations on the simulated nodes."""

    __slots__ = ("_sim", "_ticks", "_training")

    def __init__(self, sim: Scene, training: TrainingService) -> None:
        self._sim = sim
        self._training = training
        self._ticks = random.Random(f"ticks/{sim.world.seed}")

    def on_control(self, control: Control) -> None:
        sim = self._sim
        index, status = control.node, sim.status
        sim.trace.record(sim.now, index, b"control", b"%d" % control.begin)
        if control.action is None or (status.is_crash(control.action) and not control.begin):
            self.boot(index, restart=control.action is not None)
            return
        status.perturbed[index] = True
        if status.is_crash(control.action):
            status.down[index] = True
        elif control.action is Action.PAUSE:
            if control.begin:
                status.held[index] = []
            else:
                for item in status.held.pop(index, []):
                    sim.queue.push(sim.now, item.node, item.event)
        elif control.begin:
            status.cut.add(index)
        else:
            status.cut.discard(index)

    def boot(self, index: int, restart: bool) -> None:
        """Start (or restart from its persisted state) node ``index``."""
        sim = self._sim
        if restart:
            self._recover(index)
        status = sim.status
        status.down[index] = False
        status.starts[index] += 1
        incarnation = status.starts[index]
        now = sim.now
        sim.queue.push(now, index, Start())
        tick = now + self._ticks.randrange(sim.config.gossip_interval_ms)
        sim.queue.push(tick, index, GossipTick())
        sim.queue.push(now + RESEND_MS, index, External(ResendTick(incarnation)))
        if index in sim.spammers:
            sim.queue.push(now + SPAM_MS, index, External(SpamTick(incarnation)))
        self._training.reset(index)
        self._training.maybe_start(index)

    def _recover(self, index: int) -> None:
        sim = self._sim
        node = sim.nodes[index]
        chain = node.state.chain
        ready = get_ready_tasks(chain)
        if ready:
            results = tuple(sim.learning.aggregate(chain.tasks[t]).result for t in ready)
            chain = process_aggregations(chain, results)
        state = new_consensus_state(chain, sim.world.keys[index].address, sim.verifier)
        last_commit = node.blocks[-1].commit if node.blocks else None
        node.restart(replace(state, last_commit=last_commit))
        sim.pools[index].reset(chain)
        sim.record_models(index)
