"""The shared medium of an in-memory network: running nodes, latency and drop knobs."""

import random
from typing import TYPE_CHECKING

import trio

from node.network.errors import ConfigError
from node.network.values import PeerId

if TYPE_CHECKING:
    from node.network.memory import MemoryNetwork


class MemoryHub:
    """The shared medium of one in-memory network, with latency and drop knobs."""

    def __init__(self, latency_s: float = 0.0, drop_rate: float = 0.0, seed: int = 0) -> None:
        if latency_s < 0 or not 0.0 <= drop_rate <= 1.0:
            raise ConfigError("latency_s must be >= 0 and drop_rate in [0, 1]")
        self.latency_s = latency_s
        self.drop_rate = drop_rate
        self._random = random.Random(seed)
        self.nodes: dict[PeerId, MemoryNetwork] = {}

    def is_dropped(self) -> bool:
        """Draw whether one gossip hop is lost."""
        return self.drop_rate > 0 and self._random.random() < self.drop_rate

    async def delay(self) -> None:
        if self.latency_s > 0:
            await trio.sleep(self.latency_s)
