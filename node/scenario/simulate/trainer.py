"""Trainers: each trains every new model version on its own shard, as a node's worker does.

The shard, the job seed, the training function and the codec are the real node's
(``ml.data.partition.compute_shard`` with the manifest's partition, ``node.learning.trainer``'s
``compute_job_seed``, ``ml.training.local.train_local``, ``ml.codec.delta.encode_delta``), run
in process with one torch thread, so a delta is the same bytes a real node would send.
Poisoning follows ``node.learning.trainer``: ``label_flip`` trains on flipped labels,
``sign_flip`` and ``scaled`` negate or boost the delta; ``alie`` sends mean - z * std of the
deltas accepted into the model it starts from (its own honest delta while fewer than two are
known).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ml.attacks import flip_labels, flip_sign, little_is_enough, scale_update
from ml.codec.delta import CodecConfig, encode_delta
from ml.data.datasets import Dataset
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.errors import AttackError, DataError
from ml.models import get_model_spec
from ml.training.config import TrainConfig
from ml.types import Float32Array
from node.learning.settings import TrainingConfig
from node.learning.trainer import SCALED_ATTACK_FACTOR, compute_job_seed
from node.scenario.manifest import Attack, NodeSpec
from node.scenario.materialize import NodeAddress, build_config
from node.scenario.simulate.errors import SimulateError
from node.scenario.simulate.learning import Learning, get_digits, stack_rows
from node.scenario.simulate.world import World


@dataclass
class Trainer:
    """One training node's job state (a mutable shell around the pure training function)."""

    index: int
    spec: NodeSpec
    config: TrainingConfig
    shard: Dataset
    trained_version: int = -1
    busy_with: int | None = None
    """The version the running job trains (None: idle)."""
    poisoners: int = 1
    """Poisoning trainers in the run (ALIE's f)."""
    submitted: int = 0


def make_trainers(world: World) -> dict[int, Trainer]:
    """A trainer per ``train = true`` node, with the training config a real run would write."""
    manifest = world.manifest
    address = NodeAddress("127.0.0.1", "127.0.0.1", 0, 0)
    poisoners = max(1, sum(n.attack is not Attack.NONE for n in manifest.trainers))
    trainers = {}
    for index, spec in enumerate(manifest.nodes):
        if not spec.train:
            continue
        node_config = build_config(
            manifest, spec, home=Path(spec.name), address=address, p2p_addrs={}, seed=world.seed
        )
        config = node_config.training
        shard = load_shard(config, spec.attack)
        trainers[index] = Trainer(index, spec, config, shard, poisoners=poisoners)
    return trainers


def load_shard(config: TrainingConfig, attack: Attack) -> Dataset:
    """The node's private shard (labels flipped for a ``label_flip`` attacker)."""
    scheme: Scheme = "dirichlet" if config.partition == "dirichlet" else "iid"
    spec = ShardSpec(scheme, config.num_shards, config.shard_index, config.seed, config.alpha)
    try:
        shard = compute_shard(get_digits().train, spec)
    except DataError as exc:
        raise SimulateError(f"cannot split the training data: {exc}") from None
    return flip_labels(shard) if attack is Attack.LABEL_FLIP else shard


@dataclass(frozen=True, eq=False)
class DeltaPayload:
    payload: bytes
    num_samples: int


def compute_delta_payload(
    trainer: Trainer, version: int, model_hash: bytes, learning: Learning
) -> DeltaPayload:
    """Train from the model ``model_hash`` (version ``version``) and encode the delta."""
    from ml.training.local import train_local

    config = trainer.config
    update = train_local(
        learning.model_id,
        learning.weights[model_hash],
        trainer.shard,
        TrainConfig(config.local_epochs, config.batch_size, config.learning_rate),
        seed=compute_job_seed(config, version),
        model_version=version,
    )
    delta = _apply_attack(trainer, update.delta, learning.accepted_by_model.get(model_hash, ()))
    model = get_model_spec(learning.model_id)
    payload = encode_delta(delta, model.model_id, model.shapes, CodecConfig())
    return DeltaPayload(payload, update.num_samples)


def _apply_attack(
    trainer: Trainer, delta: Float32Array, accepted: tuple[Float32Array, ...]
) -> Float32Array:
    attack = trainer.spec.attack
    if attack is Attack.SIGN_FLIP:
        return flip_sign(delta)
    if attack is Attack.SCALED:
        return scale_update(delta, SCALED_ATTACK_FACTOR)
    if attack is Attack.ALIE and len(accepted) >= 2:
        try:
            return little_is_enough(
                stack_rows(accepted), trainer.config.num_shards, trainer.poisoners
            )
        except AttackError:  # no z hides this many attackers: send the honest delta
            return delta
    return delta
