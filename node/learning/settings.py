"""What a node's ``[training]`` table says: the trainer's settings.

``node.ops.config`` parses and validates the table; the trainer only reads the result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingConfig:
    enabled: bool = True
    dataset: str = "digits"
    partition: str = "iid"
    alpha: float = 0.5
    shard_index: int = 0
    num_shards: int = 1
    local_epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 0.1
    seed: int = 0
    """Partition seed, shared by every node of a network (each takes its own shard)."""
    attack: str = ""
    evaluate: bool = True
    """Measure each model version's accuracy on the fixed test split (local, advisory)."""
    speculate: bool = True
    """Train on the version a valid proposed block would derive while the validators vote on
    it (the delta is published only once that version is final with the same hash): blocks
    then carry deltas of the version they extend, not of the one before."""
    worker_nice: int = 10
    """Nice increment of the training worker process (0 to 19): higher yields the CPU to the
    node's consensus and gossip sooner; 0 trains at the node's own priority."""
