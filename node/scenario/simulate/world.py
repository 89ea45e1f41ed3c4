"""The simulated network of a manifest: the real genesis, keys and one ``SimNode`` per node.

Keys, genesis and training task are built exactly as ``node.scenario.materialize`` builds them
for real runs, so validators, stake, votes, the task and its initial model hash are the
manifest's. Consensus misbehaviour maps onto the simulator's policies: ``double_signer`` ->
``double-vote``, ``equivocating_proposer`` -> ``equivocate``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from consensus.bft.state import new_consensus_state
from consensus.crypto import KeyPair
from consensus.genesis import Genesis, GenesisTask
from consensus.ledger import compute_genesis_state
from consensus.state import ChainState
from ml.snapshot import decode_weights
from ml.types import Float32Array
from node.ops.testnet import build_task
from node.scenario.manifest import Byzantine, Manifest
from node.scenario.materialize import build_genesis, build_testnet_options, node_seed
from node.scenario.simulate.pool import NodePool
from node.sim.byzantine import make_behaviour
from node.sim.config import Policy
from node.sim.node import SimNode
from node.sim.signer import Signer
from node.sim.verifier import CachingVerifier

TASK_ID = 1
"""The genesis task (the only one a manifest creates)."""

POLICIES = {
    Byzantine.DOUBLE_SIGNER: Policy.DOUBLE_VOTE,
    Byzantine.EQUIVOCATING_PROPOSER: Policy.EQUIVOCATE,
}


@dataclass(frozen=True, eq=False)
class World:
    """What every node of one run shares at genesis."""

    manifest: Manifest
    seed: int
    keys: tuple[KeyPair, ...]
    """By manifest index."""
    genesis: Genesis
    chain: ChainState
    initial_weights: Float32Array

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.manifest.nodes)

    def index_of(self, name: str) -> int:
        return self.names.index(name)


def build_world(manifest: Manifest, seed: int) -> World:
    """Keys from ``node_seed``, the genesis of ``build_genesis`` and ``build_task``'s task."""
    keys = {n.name: KeyPair.from_seed(node_seed(manifest, seed, n.name)) for n in manifest.nodes}
    task, snapshot = build_task(build_testnet_options(manifest))
    creator = keys[manifest.validators[0].name].address
    genesis = build_genesis(manifest, keys, GenesisTask(creator, task))
    return World(
        manifest=manifest,
        seed=seed,
        keys=tuple(keys[n.name] for n in manifest.nodes),
        genesis=genesis,
        chain=compute_genesis_state(genesis),
        initial_weights=decode_weights(snapshot),
    )


def build_nodes(world: World, verifier: CachingVerifier, pools: list[NodePool]) -> list[SimNode]:
    """One simulated node per manifest node, proposing from its mempool in ``pools``."""
    choices = random.Random(f"choices/{world.seed}")
    count = len(world.keys)
    chain_id = world.chain.chain_id
    nodes = []
    for index, (spec, key) in enumerate(zip(world.manifest.nodes, world.keys, strict=True)):
        policy = POLICIES.get(spec.byzantine)
        peers = tuple(j for j in range(count) if j != index)
        signer = Signer(key, guarded=policy is None)
        behaviour = make_behaviour(policy, signer, chain_id, peers, choices)
        state = new_consensus_state(world.chain, key.address, verifier)
        nodes.append(SimNode(index, state, behaviour, pools[index]))
    return nodes
