"""The run's once-a-second probe: height samples, joiners bonding once synced, and the
``stop_when_done`` check (the end-of-run checks all pass and the schedule has played out).
"""

from __future__ import annotations

from node.scenario.report import HeightSample
from node.scenario.simulate.events import Probe
from node.scenario.simulate.faults import MS_PER_S, get_settled_ms
from node.scenario.simulate.observe import judge_run
from node.scenario.simulate.scene import Scene
from node.scenario.simulate.txs import TxService
from node.sim.events import External

PROBE_MS = 1_000


class Progress:
    """Samples and stop decisions of one run."""

    __slots__ = ("_done_after_ms", "_joined", "_sim", "_txs", "samples")

    def __init__(self, sim: Scene, txs: TxService) -> None:
        self._sim = sim
        self._txs = txs
        self._done_after_ms = get_settled_ms(sim.world.manifest)
        self._joined: set[int] = set()
        self.samples: list[HeightSample] = []

    def get_best_height(self) -> int:
        """The highest final height of an honest running node."""
        sim = self._sim
        honest = (n for n in sim.nodes if n.honest and not sim.status.down[n.index])
        return max((n.state.chain.height for n in honest), default=0)

    def on_probe(self) -> None:
        sim = self._sim
        manifest = sim.world.manifest
        t_s = sim.now / MS_PER_S
        for node, spec in zip(sim.nodes, manifest.nodes, strict=True):
            if not sim.status.down[node.index]:
                self.samples.append(HeightSample(t_s, spec.name, node.state.chain.height))
        self._let_joiners_bond()
        if manifest.timing.stop_when_done and sim.now >= self._done_after_ms:
            sim.done = self._all_checks_pass()
        sim.queue.push(sim.now + PROBE_MS, 0, External(Probe()))

    def _let_joiners_bond(self) -> None:
        sim = self._sim
        best = self.get_best_height()
        for index, spec in enumerate(sim.world.manifest.nodes):
            if not spec.join_as_candidate or index in self._joined or sim.status.down[index]:
                continue
            height = sim.nodes[index].state.chain.height
            if height > 0 and height + 1 >= best:
                self._joined.add(index)
                self._txs.join(index)

    def _all_checks_pass(self) -> bool:
        return all(check.passed for check in judge_run(self._sim))
