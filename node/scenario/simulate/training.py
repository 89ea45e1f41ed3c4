"""When simulated trainers train: each new final model version on the node starts a job (if
the trainer is idle and the node is not catching up); the delta is submitted as a signed
``ModelDelta`` transaction after a fixed virtual training time.
"""

from __future__ import annotations

from consensus.transactions import ModelDelta
from node.scenario.manifest import Byzantine
from node.scenario.simulate.events import TrainingDue
from node.scenario.simulate.progress import Progress
from node.scenario.simulate.scene import Scene
from node.scenario.simulate.trainer import Trainer, compute_delta_payload, make_trainers
from node.scenario.simulate.txs import TxService
from node.scenario.simulate.world import TASK_ID
from node.sim.events import External

TRAINING_MS = 500
"""Virtual time from a model version being final on a node to its delta being submitted."""
CATCH_UP_SLACK = 2
"""A node this many heights behind the best honest node is catching up and does not train."""


class TrainingService:
    """The trainers of one run."""

    __slots__ = ("_progress", "_sim", "_txs", "trainers")

    def __init__(self, sim: Scene, txs: TxService, progress: Progress) -> None:
        self._sim = sim
        self._txs = txs
        self._progress = progress
        self.trainers: dict[int, Trainer] = make_trainers(sim.world)

    def reset(self, index: int) -> None:
        """A (re)started node: its worker has no job and has trained nothing yet."""
        trainer = self.trainers.get(index)
        if trainer is not None:
            trainer.busy_with, trainer.trained_version = None, -1

    def maybe_start(self, index: int) -> None:
        sim = self._sim
        trainer = self.trainers.get(index)
        if trainer is None or trainer.busy_with is not None or sim.status.down[index]:
            return
        chain = sim.nodes[index].state.chain
        task = chain.tasks[TASK_ID]
        if task.version <= trainer.trained_version:
            return
        if chain.height + CATCH_UP_SLACK < self._progress.get_best_height():
            return  # a delta on an old version would be stale; the next version wakes us
        trainer.busy_with = task.version
        due = TrainingDue(task.version, task.model_hash, sim.status.starts[index])
        sim.queue.push(sim.now + TRAINING_MS, index, External(due))

    def finish(self, index: int, due: TrainingDue) -> None:
        """The job is done: encode, store the payload, submit the delta, train the next one."""
        sim = self._sim
        trainer = self.trainers[index]
        trainer.busy_with, trainer.trained_version = None, due.version
        delta = compute_delta_payload(trainer, due.version, due.model_hash, sim.learning)
        withheld = trainer.spec.byzantine is Byzantine.WITHHOLDER
        payload_hash = sim.learning.put_payload(delta.payload, index, withheld)
        body = ModelDelta(TASK_ID, due.version, payload_hash, len(delta.payload), delta.num_samples)
        if self._txs.submit(index, body):
            trainer.submitted += 1
        self.maybe_start(index)
