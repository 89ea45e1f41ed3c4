"""Simulation settings: network model, partition schedule, Byzantine policies, sizes.

Everything here is plain frozen data checked on construction; a bad value raises
:class:`SimConfigError` (or :class:`PartitionSpecError` for a schedule string).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from node.sim.errors import PartitionSpecError, SimConfigError

MAX_VALIDATORS: Final = 1_000


class Policy(enum.Enum):
    """How a Byzantine validator misbehaves (a transformation of its outgoing messages)."""

    EQUIVOCATE = "equivocate"
    """Proposes two different blocks for its round, each to half of the peers."""
    DOUBLE_VOTE = "double-vote"
    """Signs two different votes for each (height, round, step), each to half of the peers."""
    SILENT = "silent"
    """Sends nothing at all (a crashed or cut-off validator)."""
    INVALID = "invalid"
    """Proposes blocks that fail validation and sends votes with bad signatures."""
    FORK = "fork"
    """Colludes with the other ``fork`` validators to show each half of the network another
    block and vote for both (a real fork needs a third of the power: ``allow_unsafe``)."""


ALL_POLICIES: Final = (Policy.EQUIVOCATE, Policy.DOUBLE_VOTE, Policy.SILENT, Policy.INVALID)
"""The default policies; ``fork`` is opt-in."""


@dataclass(frozen=True)
class Partition:
    """Between ``start_ms`` and ``end_ms`` only nodes of the same group can talk.

    Nodes listed in no group form one more group together. The partition heals at ``end_ms``.
    """

    start_ms: int
    end_ms: int
    groups: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if not 0 <= self.start_ms < self.end_ms:
            raise PartitionSpecError(f"need 0 <= start < end, got {self.start_ms}:{self.end_ms}")
        members = [i for group in self.groups for i in group]
        if len(members) != len(set(members)):
            raise PartitionSpecError("a node appears in two groups of one partition")
        if any(i < 0 for i in members) or not all(self.groups):
            raise PartitionSpecError("groups must be non-empty lists of node indices >= 0")


def parse_partition(spec: str) -> Partition:
    """Parse ``"start_ms:end_ms:0-3|4-6"`` (groups split by ``|``, members ``a-b`` or ``a,b``)."""
    parts = spec.strip().split(":")
    if len(parts) != 3:
        raise PartitionSpecError(f"expected start_ms:end_ms:groups, got {spec!r}")
    try:
        start, end = int(parts[0]), int(parts[1])
    except ValueError:
        raise PartitionSpecError(f"partition times must be integers in {spec!r}") from None
    groups = tuple(_parse_group(g, spec) for g in parts[2].split("|"))
    return Partition(start, end, groups)


def _parse_group(text: str, spec: str) -> tuple[int, ...]:
    members: list[int] = []
    for item in text.split(","):
        lo, sep, hi = item.strip().partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise PartitionSpecError(f"bad group member {item!r} in {spec!r}") from None
        if last < first:
            raise PartitionSpecError(f"empty range {item!r} in {spec!r}")
        members.extend(range(first, last + 1))
    return tuple(members)


@dataclass(frozen=True)
class NetworkConfig:
    """Per-link latency (mean and jitter in ms), message drop rate and partitions."""

    latency_ms: int = 50
    jitter_ms: int = 20
    drop_rate: float = 0.0
    partitions: tuple[Partition, ...] = ()

    def __post_init__(self) -> None:
        if self.latency_ms < 1 or self.jitter_ms < 0:
            raise SimConfigError("latency must be >= 1 ms and jitter >= 0 ms")
        if not 0.0 <= self.drop_rate < 1.0:
            raise SimConfigError(f"drop rate must be in [0, 1), got {self.drop_rate}")

    @property
    def heal_ms(self) -> int:
        """When the last partition heals (0 without partitions)."""
        return max((p.end_ms for p in self.partitions), default=0)


def max_faulty(validators: int) -> int:
    """The most Byzantine validators (equal stake) that BFT tolerates: floor((n - 1) / 3)."""
    return (validators - 1) // 3


@dataclass(frozen=True)
class SimConfig:
    """One simulation scenario; each seed runs it with its own keys, latencies and choices.

    The ``byzantine`` validators are drawn per seed; they take ``policies`` in turn, starting
    at ``seed % len(policies)``, so that a run over many seeds exercises every policy. Equal
    stakes unless ``stakes`` gives one per validator. A seed fails liveness when some honest
    node has not finalized ``heights`` by ``liveness_deadline_ms``.
    """

    validators: int = 4
    heights: int = 10
    byzantine: int = 0
    policies: tuple[Policy, ...] = ALL_POLICIES
    network: NetworkConfig = field(default_factory=NetworkConfig)
    stakes: tuple[int, ...] = ()
    txs_per_proposal: int = 2
    gossip_interval_ms: int = 250
    liveness_ms_per_height: int = 10_000
    allow_unsafe: bool = False
    chain_id: str = "deltachain-sim"

    def __post_init__(self) -> None:
        if not 1 <= self.validators <= MAX_VALIDATORS:
            raise SimConfigError(f"validators must be in [1, {MAX_VALIDATORS}]")
        if self.heights < 1 or self.byzantine < 0 or self.txs_per_proposal < 0:
            raise SimConfigError("heights must be >= 1, byzantine and txs >= 0")
        if self.stakes and len(self.stakes) != self.validators:
            raise SimConfigError("give one stake per validator (or none for equal stakes)")
        if any(s <= 0 for s in self.stakes):
            raise SimConfigError("every stake must be positive")
        self._check_byzantine()
        if self.gossip_interval_ms < 1 or self.liveness_ms_per_height < 1:
            raise SimConfigError("gossip interval and liveness budget must be >= 1 ms")
        for p in self.network.partitions:
            if any(i >= self.validators for g in p.groups for i in g):
                raise PartitionSpecError(f"partition names a node >= {self.validators}")

    def _check_byzantine(self) -> None:
        if self.byzantine > self.validators:
            raise SimConfigError("more Byzantine validators than validators")
        if self.byzantine > max_faulty(self.validators) and not self.allow_unsafe:
            raise SimConfigError(
                f"{self.byzantine} Byzantine of {self.validators} exceeds "
                f"f = {max_faulty(self.validators)}; allow_unsafe (--allow-unsafe) to try anyway"
            )
        if self.stakes and not self.allow_unsafe:
            heaviest = sum(sorted(self.stakes, reverse=True)[: self.byzantine])
            if 3 * heaviest >= sum(self.stakes):
                raise SimConfigError(
                    f"the {self.byzantine} largest stakes hold 1/3 of the power or more; "
                    "allow_unsafe (--allow-unsafe) to try anyway"
                )
        if self.byzantine and not self.policies:
            raise SimConfigError("Byzantine validators need at least one policy")

    @property
    def liveness_deadline_ms(self) -> int:
        """Virtual time by which every honest node must have finalized ``heights``."""
        return self.network.heal_ms + self.heights * self.liveness_ms_per_height
