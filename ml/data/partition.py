"""Seeded per-node partitions: IID and Dirichlet(alpha) label skew.

Every node computes its own shard from (dataset, ShardSpec) alone, so a shard is reproducible
and never has to leave the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ml.data.datasets import Dataset
from ml.errors import DataError
from ml.types import IntArray

Scheme = Literal["iid", "dirichlet"]
MAX_DIRICHLET_ATTEMPTS = 1000


@dataclass(frozen=True)
class ShardSpec:
    """Which shard a node holds: the scheme, node count, this node's index and the seed."""

    scheme: Scheme
    num_nodes: int
    node_index: int
    seed: int
    alpha: float = 0.5
    min_samples: int = 10

    def __post_init__(self) -> None:
        if self.scheme not in ("iid", "dirichlet"):
            raise DataError(f"unknown partition scheme {self.scheme!r}")
        if self.num_nodes <= 0 or not 0 <= self.node_index < self.num_nodes:
            raise DataError(f"node index {self.node_index} not in [0, {self.num_nodes})")
        if self.seed < 0 or not self.alpha > 0.0 or self.min_samples < 0:
            raise DataError("seed and min_samples must be >= 0 and alpha > 0")


def partition_iid(num_samples: int, num_nodes: int, seed: int) -> tuple[IntArray, ...]:
    """A seeded random permutation cut into `num_nodes` near-equal parts."""
    if num_nodes <= 0 or num_samples < num_nodes:
        raise DataError(f"cannot split {num_samples} samples over {num_nodes} nodes")
    order = np.random.Generator(np.random.PCG64(seed)).permutation(num_samples)
    return tuple(np.sort(part).astype(np.int64) for part in np.array_split(order, num_nodes))


def partition_dirichlet(
    labels: IntArray, num_nodes: int, alpha: float, seed: int, min_samples: int = 10
) -> tuple[IntArray, ...]:
    """Label skew: each class is spread over nodes by proportions ~ Dirichlet(alpha).

    Draws again (same generator, so still seeded) until every node has `min_samples`.
    """
    if num_nodes <= 0 or not alpha > 0.0 or len(labels) < num_nodes * min_samples:
        raise DataError(f"cannot split {len(labels)} samples over {num_nodes} nodes")
    rng = np.random.Generator(np.random.PCG64(seed))
    for _ in range(MAX_DIRICHLET_ATTEMPTS):
        parts = _draw_dirichlet(labels, num_nodes, alpha, rng)
        if min(len(p) for p in parts) >= min_samples:
            return parts
    raise DataError(f"no Dirichlet({alpha}) split gave every node {min_samples} samples")


def _draw_dirichlet(
    labels: IntArray, num_nodes: int, alpha: float, rng: np.random.Generator
) -> tuple[IntArray, ...]:
    buckets: list[list[IntArray]] = [[] for _ in range(num_nodes)]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        shares = rng.dirichlet(np.full(num_nodes, alpha))
        cuts = (np.cumsum(shares)[:-1] * len(members)).astype(np.int64)
        for node, chunk in enumerate(np.split(members, cuts)):
            buckets[node].append(chunk)
    return tuple(np.sort(np.concatenate(b)).astype(np.int64) for b in buckets)


def compute_partition(dataset: Dataset, spec: ShardSpec) -> tuple[IntArray, ...]:
    """Every node's sample indices under `spec` (the node index is not used)."""
    if spec.scheme == "iid":
        return partition_iid(len(dataset), spec.num_nodes, spec.seed)
    return partition_dirichlet(dataset.y, spec.num_nodes, spec.alpha, spec.seed, spec.min_samples)


def compute_shard(dataset: Dataset, spec: ShardSpec) -> Dataset:
    """This node's private shard of `dataset`."""
    return dataset.subset(compute_partition(dataset, spec)[spec.node_index])
