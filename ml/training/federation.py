"""In-process federated learning runs over the real pieces: shards, local training, codec,
attacks and `aggregate_round`. Used by the learning benchmark and the learning tests.

Node i < num_attackers is an attacker. Label flippers train honestly on flipped labels;
"A little is enough" attackers all send mean - z * std of the honest deltas of the round.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ml.aggregation.round import DeltaEntry, aggregate_round
from ml.aggregation.spec import AggregationSpec
from ml.attacks import flip_labels, little_is_enough
from ml.codec.delta import CodecConfig, encode_delta
from ml.codec.feedback import ErrorFeedback, encode_with_feedback
from ml.data.datasets import Dataset, TrainTest
from ml.data.partition import Scheme, ShardSpec, compute_shard
from ml.models import get_model_spec, init_weights
from ml.privacy.accountant import RdpAccountant
from ml.privacy.mechanism import DpConfig, privatize_delta
from ml.training.config import TrainConfig
from ml.training.local import evaluate, train_local
from ml.types import Float32Array

Attack = Literal["none", "label_flip", "alie"]


@dataclass(frozen=True)
class FederationConfig:
    """One simulated federation: nodes, partition, rule, codec, attack, rounds."""

    spec: AggregationSpec
    num_nodes: int = 10
    rounds: int = 30
    scheme: Scheme = "iid"
    alpha: float = 0.5
    seed: int = 0
    train: TrainConfig = field(default_factory=TrainConfig)
    codec: CodecConfig = field(default_factory=CodecConfig)
    attack: Attack = "none"
    num_attackers: int = 0
    dp: DpConfig | None = None


@dataclass(frozen=True)
class FederationReport:
    """Test accuracy after each round, mean encoded delta size, attackers' accepted share and,
    with DP, each node's epsilon at the config's target delta."""

    accuracies: tuple[float, ...]
    mean_delta_bytes: float
    attacker_acceptance: float
    epsilon: float = 0.0

    def rounds_to(self, target: float) -> int | None:
        """First round (1-based) whose test accuracy reaches `target`, if any."""
        return next((i + 1 for i, a in enumerate(self.accuracies) if a >= target), None)


def run_federation(config: FederationConfig, data: TrainTest) -> FederationReport:
    """Run `config.rounds` rounds and report accuracy per round."""
    model = get_model_spec(config.spec.model_id)
    shards = [_node_shard(config, data.train, i) for i in range(config.num_nodes)]
    feedback = [ErrorFeedback.zeros(model.num_params) for _ in shards]
    weights = init_weights(model.model_id, config.seed)
    accuracies, sizes, attacker_hits = [], [], 0
    accountant = RdpAccountant()
    for version in range(config.rounds):
        deltas = _train_round(config, weights, shards, version)
        if config.dp is not None:
            deltas, accountant = _privatize(config, config.dp, deltas, accountant, version)
        entries: list[DeltaEntry] = []
        for node, delta in enumerate(deltas):
            blob, feedback[node] = _encode(config, delta, feedback[node])
            sizes.append(len(blob))
            entries.append((_tx_hash(version, node), blob, len(shards[node])))
        result = aggregate_round(config.spec, weights, entries)
        attackers = {_tx_hash(version, n) for n in range(config.num_attackers)}
        attacker_hits += len(attackers.intersection(result.accepted))
        weights = result.new_weights
        accuracies.append(evaluate(model.model_id, weights, data.test).accuracy)
    share = attacker_hits / max(1, config.num_attackers * config.rounds)
    epsilon = accountant.get_epsilon(config.dp.target_delta) if config.dp else 0.0
    return FederationReport(tuple(accuracies), float(np.mean(sizes)), share, epsilon)


def _privatize(
    config: FederationConfig,
    dp: DpConfig,
    deltas: list[Float32Array],
    accountant: RdpAccountant,
    version: int,
) -> tuple[list[Float32Array], RdpAccountant]:
    """Every node clips and noises its delta; one accountant stands for each node's (they are
    identical). Seeded for a reproducible simulation; a real node draws from a secret seed."""
    noisy = []
    for node, delta in enumerate(deltas):
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, node, version]))
        noisy.append(privatize_delta(delta, dp, accountant, rng)[0])
    return noisy, accountant.record_gaussian(dp.noise_ratio)


def _node_shard(config: FederationConfig, train: Dataset, node: int) -> Dataset:
    spec = ShardSpec(config.scheme, config.num_nodes, node, config.seed, config.alpha)
    shard = compute_shard(train, spec)
    is_flipper = config.attack == "label_flip" and node < config.num_attackers
    return flip_labels(shard) if is_flipper else shard


def _train_round(
    config: FederationConfig, weights: Float32Array, shards: list[Dataset], version: int
) -> list[Float32Array]:
    alie = config.attack == "alie"
    deltas = [
        train_local(
            config.spec.model_id,
            weights,
            shard,
            config.train,
            seed=config.seed * 1000 + node,
            model_version=version,
        ).delta
        for node, shard in enumerate(shards)
        if not (alie and node < config.num_attackers)
    ]
    if alie:
        malicious = little_is_enough(np.stack(deltas), config.num_nodes, config.num_attackers)
        deltas = [malicious] * config.num_attackers + deltas
    return deltas


def _encode(
    config: FederationConfig, delta: Float32Array, feedback: ErrorFeedback
) -> tuple[bytes, ErrorFeedback]:
    model = get_model_spec(config.spec.model_id)
    if config.codec.name == "topk":
        return encode_with_feedback(delta, model.model_id, model.shapes, config.codec, feedback)
    return encode_delta(delta, model.model_id, model.shapes, config.codec), feedback


def _tx_hash(version: int, node: int) -> bytes:
    return hashlib.sha256(f"round={version} node={node}".encode()).digest()


def compute_mean_accuracy(report: FederationReport, last: int = 5) -> float:
    """Mean test accuracy over the last `last` rounds (less noisy than the final round)."""
    tail = report.accuracies[-last:]
    return math.fsum(tail) / len(tail)
