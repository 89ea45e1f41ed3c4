"""The client workload in the simulator: the same clients as against real nodes
(``node.scenario.workload_client``), reaching the simulated nodes directly, in virtual time.

A client's request to a node that is down or paused gets no answer (unreachable); a running
node admits the transaction to its mempool (or refuses it with the mempool's reason) and
gossips it, as its API would; finality and nonces come from the node's own final chain.
"""

from __future__ import annotations

import random

from consensus.transactions import SignedTransaction
from node.chain.mempool import MempoolError
from node.scenario.simulate.events import WorkloadTick
from node.scenario.simulate.faults import MS_PER_S
from node.scenario.simulate.scene import Scene
from node.scenario.simulate.txs import TxService
from node.scenario.workload import Attempt, Outcome, Reconciliation, reconcile
from node.scenario.workload_client import WorkloadClients, get_workload_keys
from node.sim.events import External


class SimGateway:
    """The clients' way to the simulated nodes."""

    def __init__(self, sim: Scene, txs: TxService) -> None:
        self._sim = sim
        self._txs = txs
        self._names = [n.name for n in sim.world.manifest.nodes]
        self._indexed: list[dict[str, int]] = [{} for _ in self._names]
        self._scanned = [0] * len(self._names)

    def _answers(self, index: int) -> bool:
        status = self._sim.status
        return not status.down[index] and index not in status.held

    def submit(self, node: str, stx: SignedTransaction) -> Attempt:
        index = self._names.index(node)
        if not self._answers(index):
            return Attempt(node, Outcome.UNREACHABLE, "no answer (down or paused)")
        try:
            self._sim.pools[index].submit(stx)
        except MempoolError as exc:
            return Attempt(node, Outcome.REFUSED, f"transaction refused: {exc}")
        self._txs.gossip(index, stx)
        return Attempt(node, Outcome.ACCEPTED)

    def is_final(self, node: str, tx_hash: bytes) -> bool | None:
        index = self._names.index(node)
        if not self._answers(index):
            return None
        return tx_hash.hex() in self.get_positions(index)

    def get_nonce(self, node: str, address: bytes) -> int | None:
        index = self._names.index(node)
        if not self._answers(index):
            return None
        return self._sim.nodes[index].state.chain.get_account(address).nonce

    def get_positions(self, index: int) -> dict[str, int]:
        """Height of each transaction (hex hash) final on node ``index``, kept up to date."""
        blocks = self._sim.nodes[index].blocks
        known = self._indexed[index]
        for finalized in blocks[self._scanned[index] :]:
            for stx in finalized.block.txs:
                known.setdefault(stx.hash.hex(), finalized.block.height)
        self._scanned[index] = len(blocks)
        return known


class SimWorkload:
    """Schedules the clients on the event queue (a global :class:`WorkloadTick`)."""

    def __init__(self, sim: Scene, txs: TxService) -> None:
        manifest = sim.world.manifest
        self._sim = sim
        self.spec = manifest.workload
        self.gateway = SimGateway(sim, txs)
        chain = sim.world.chain
        self.clients = WorkloadClients(
            self.spec,
            get_workload_keys(manifest),
            chain_id=chain.chain_id,
            fee=chain.params.min_fee,
            nodes=[n.name for n in manifest.nodes],
            gateway=self.gateway,
            rng=random.Random(sim.world.seed),
        )
        self.submitting = True

    @property
    def interval_ms(self) -> int:
        return max(1, round(self.spec.interval_s * MS_PER_S))

    def start(self) -> None:
        self._sim.queue.push(0, 0, External(WorkloadTick()))

    def on_tick(self) -> None:
        self.clients.step(self._sim.now / MS_PER_S, submit_new=self.submitting)
        if self.submitting or self.clients.outstanding:
            self._sim.queue.push(self._sim.now + self.interval_ms, 0, External(WorkloadTick()))

    def reconcile(self) -> Reconciliation:
        """Against every honest running node's final chain; balances on the first of them."""
        sim = self._sim
        honest = [
            i
            for i, spec in enumerate(sim.world.manifest.nodes)
            if spec.is_honest and not sim.status.down[i]
        ]
        chains = {}
        for index in honest:
            chain: dict[int, list[str]] = {}
            for finalized in sim.nodes[index].blocks:
                chain[finalized.block.height] = [stx.hash.hex() for stx in finalized.block.txs]
            chains[sim.world.manifest.nodes[index].name] = chain
        keys = get_workload_keys(sim.world.manifest)
        start = {key.address.hex(): self.spec.balance for key in keys}
        reference = honest[0] if honest else None
        end = None
        if reference is not None:
            state = sim.nodes[reference].state.chain
            end = {key.address.hex(): state.get_account(key.address).balance for key in keys}
        return reconcile(
            self.clients.history,
            chains,
            start,
            end,
            None if reference is None else sim.world.manifest.nodes[reference].name,
        )
