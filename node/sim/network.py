"""The seeded network model: per-link latency, drops and a partition schedule.

Each directed link gets its own mean latency, drawn once per seed uniformly in
``[latency / 2, 3 * latency / 2]``; each message then adds uniform jitter in
``[-jitter, +jitter]`` (at least 1 ms in total). A message is lost with probability
``drop_rate`` or when a partition active at send time separates its ends.
"""

from __future__ import annotations

import random

from node.sim.config import NetworkConfig, Partition


class NetworkModel:
    """Decides, for one seed, when (or whether) a message sent now reaches its destination."""

    __slots__ = ("_config", "_groups", "_link_ms", "_rng")

    def __init__(self, config: NetworkConfig, nodes: int, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        half = config.latency_ms / 2
        self._link_ms = [
            [round(rng.uniform(half, 3 * half)) for _dst in range(nodes)] for _src in range(nodes)
        ]
        self._groups = [_group_of(p, nodes) for p in config.partitions]

    def get_delay(self, src: int, dst: int, now_ms: int) -> int | None:
        """Delivery delay in ms for a message sent now, or None when it is lost."""
        if self._groups and self.is_partitioned(src, dst, now_ms):
            return None
        config = self._config
        random = self._rng.random
        if config.drop_rate and random() < config.drop_rate:
            return None
        spread = config.jitter_ms
        jitter = int(random() * (2 * spread + 1)) - spread if spread else 0
        return max(1, self._link_ms[src][dst] + jitter)

    def is_partitioned(self, src: int, dst: int, now_ms: int) -> bool:
        """Whether a partition active at ``now_ms`` separates ``src`` from ``dst``."""
        for partition, group in zip(self._config.partitions, self._groups, strict=True):
            if partition.start_ms <= now_ms < partition.end_ms and group[src] != group[dst]:
                return True
        return False


def _group_of(partition: Partition, nodes: int) -> list[int]:
    """Group index per node; nodes named in no group share the extra group ``len(groups)``."""
    group = [len(partition.groups)] * nodes
    for index, members in enumerate(partition.groups):
        for node in members:
            group[node] = index
    return group
