"""What each simulated node holds at the end of a run (or at a probe), judged like every mode."""

from __future__ import annotations

from consensus.state import ChainState
from node.scenario.report import CheckResult, NodeObservation, VersionPoint
from node.scenario.simulate.faults import MS_PER_S
from node.scenario.simulate.scene import Scene
from node.scenario.verdict import judge


def is_running(sim: Scene, index: int) -> bool:
    return not sim.status.down[index] and index not in sim.status.held


def get_reference_chain(sim: Scene) -> ChainState:
    """The final state of the highest honest running node (how honest nodes see the end)."""
    specs = sim.world.manifest.nodes
    candidates = [i for i in range(len(sim.nodes)) if specs[i].is_honest and is_running(sim, i)]
    pick = candidates or list(range(len(sim.nodes)))
    best = max(pick, key=lambda i: (sim.nodes[i].state.chain.height, -i))
    return sim.nodes[best].state.chain


def observe_nodes(sim: Scene) -> list[NodeObservation]:
    reference = get_reference_chain(sim)
    genesis = sim.world.chain
    observations = []
    for index, spec in enumerate(sim.world.manifest.nodes):
        node = sim.nodes[index]
        address = sim.world.keys[index].address
        start, end = genesis.get_account(address), reference.get_account(address)
        candidate = reference.candidates.get(address)
        tombstoned = candidate is not None and candidate.tombstoned
        observations.append(
            NodeObservation(
                name=spec.name,
                honest=spec.is_honest,
                running=is_running(sim, index),
                height=node.state.chain.height,
                block_hashes={f.block.height: f.block.hash.hex() for f in node.blocks},
                model_hashes={v: h.hex() for v, h in sim.model_hashes[index].items()},
                bonded_start=start.bonded,
                bonded_end=end.bonded,
                slashed=tombstoned or (end.bonded < start.bonded and not end.unbonding),
                validator_at_end=address in reference.validators,
                perturbed=sim.status.perturbed[index],
                starts=sim.status.starts[index],
                balance_gain=end.total - start.total,
                delta_rewards=sim.rewards.get(address, 0),
                accepted_deltas=sim.accepted.get(address, 0),
            )
        )
    return observations


def get_versions(sim: Scene) -> list[VersionPoint]:
    return [
        VersionPoint(v, r.height, r.t_ms / MS_PER_S, sim.learning.get_accuracy(r.model_hash))
        for v, r in sorted(sim.versions.items())
    ]


def judge_run(sim: Scene) -> list[CheckResult]:
    return judge(sim.world.manifest, observe_nodes(sim), get_versions(sim))
