"""The scenario manifest as frozen records (parsed and checked by ``node.scenario.parse``).

Times are seconds from the start of the run. Node names are the manifest's own labels
(``v0``, ``full1``...); every reference to a node (votes, perturbations, partition groups)
uses them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Role(enum.Enum):
    """What a node is at genesis."""

    VALIDATOR = "validator"
    """A candidate backed by its own bonded stake; elected when its stake ranks."""
    FULL = "full"
    """Follows the chain (and may train, delegate stake, or join later as a candidate)."""


class Byzantine(enum.Enum):
    """How a misbehaving node deviates from the protocol (``[node] byzantine``)."""

    NONE = ""
    DOUBLE_SIGNER = "double_signer"
    """Signs a second, conflicting prevote and precommit for each step (slashed by evidence)."""
    EQUIVOCATING_PROPOSER = "equivocating_proposer"
    """Proposes two different blocks whenever it is the proposer."""
    WITHHOLDER = "withholder"
    """Announces delta transactions but never serves their payloads."""
    SPAMMER = "spammer"
    """Floods the transaction topic with invalid transactions (bad signatures, bad nonces)."""


class Attack(enum.Enum):
    """Model poisoning by a trainer (``[node] attack``)."""

    NONE = ""
    LABEL_FLIP = "label_flip"
    SIGN_FLIP = "sign_flip"
    SCALED = "scaled"
    ALIE = "alie"
    """"A little is enough": mean minus z standard deviations of the benign deltas."""


class Action(enum.Enum):
    """A perturbation of one node's process or links."""

    KILL = "kill"
    """SIGKILL, then a restart after ``duration_s``."""
    PAUSE = "pause"
    """SIGSTOP, then SIGCONT after ``duration_s``."""
    RESTART = "restart"
    """SIGTERM (graceful stop), then a restart after ``duration_s``."""
    DISCONNECT = "disconnect"
    """Cut every link of the node, reconnect after ``duration_s``."""


class Partition(enum.Enum):
    """How the training data is split across trainers."""

    IID = "iid"
    DIRICHLET = "dirichlet"


@dataclass(frozen=True)
class NodeSpec:
    """One node of the network."""

    name: str
    role: Role = Role.VALIDATOR
    stake: int = 1_000_000
    """Bonded at genesis (a full node's stake backs ``votes``; 0 for none)."""
    balance: int = 1_000_000_000
    votes: tuple[str, ...] = ()
    """Candidates this node's stake backs; a validator with no votes backs itself."""
    train: bool = True
    byzantine: Byzantine = Byzantine.NONE
    attack: Attack = Attack.NONE
    start_at_s: float = 0.0
    """When the process starts (a late joiner syncs from the others)."""
    join_as_candidate: bool = False
    """A full node that, once synced, registers as a candidate, bonds ``join_bond`` and votes
    for itself, so that it is elected at the next epoch."""
    join_bond: int = 0

    @property
    def is_honest(self) -> bool:
        return self.byzantine is Byzantine.NONE and self.attack is Attack.NONE

    @property
    def effective_votes(self) -> tuple[str, ...]:
        if self.votes or self.role is not Role.VALIDATOR:
            return self.votes
        return (self.name,)


@dataclass(frozen=True)
class Perturbation:
    """``action`` on ``node`` at ``at_s``, undone after ``duration_s``."""

    at_s: float
    node: str
    action: Action
    duration_s: float = 5.0

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s


@dataclass(frozen=True)
class NetworkPartition:
    """From ``at_s`` to ``heal_at_s`` only nodes of one group talk to each other.

    Nodes named in no group form one more group together.
    """

    at_s: float
    heal_at_s: float
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TaskSpec:
    """The genesis training task and how its data is split."""

    model: str = "mlp-digits"
    rule: str = "fedavg"
    rule_params: tuple[tuple[str, int | float], ...] = ()
    min_deltas: int = 0
    """0: n - f of the trainers, f = floor((n - 1) / 3)."""
    max_staleness: int = 2
    clip_norm: float = 10.0
    partition: Partition = Partition.IID
    alpha: float = 0.5
    local_epochs: int = 2
    learning_rate: float = 0.1
    batch_size: int = 32


@dataclass(frozen=True)
class Checks:
    """What a run must show at its end."""

    target_accuracy: float | None = 0.9
    """Some model version reaches it (None: not checked)."""
    min_height: int = 5
    """Every honest running node finalized at least this many blocks."""
    catch_up_blocks: int = 3
    """Every honest node ends within this many heights of the highest."""
    slash_double_signers: bool = True
    """Every ``double_signer`` lost stake to double-sign evidence."""
    elect_joiners: bool = True
    """Every ``join_as_candidate`` node is in the validator set at the end."""


@dataclass(frozen=True)
class WorkloadSpec:
    """A Jepsen-style client workload (``[workload]``, off while ``accounts`` is 0): funded
    accounts submit transfers to random nodes during the whole run; the end reconciles what the
    APIs acknowledged against the final chains (``node.scenario.workload``)."""

    accounts: int = 0
    balance: int = 1_000_000_000
    """Each account's genesis balance."""
    amount: int = 1
    interval_s: float = 0.5
    """Seconds between two actions of one account (submit, check, re-submit)."""
    resubmit_after_s: float = 3.0
    """A transaction not final this long after it was sent is sent again (same nonce)."""
    drain_s: float = 30.0
    """At the end, how long the clients may still re-submit what is outstanding."""


@dataclass(frozen=True)
class Timing:
    """How long a run may take; ``[short]`` in the file overrides these for the test suite."""

    duration_s: float = 120.0
    """Hard limit: the run ends (and is judged) by then."""
    stop_when_done: bool = True
    """End as soon as every check can pass (accuracy reached and the schedule played out)."""


@dataclass(frozen=True)
class Manifest:
    """A whole scenario."""

    name: str
    nodes: tuple[NodeSpec, ...]
    description: str = ""
    preset: str = "local"
    seed: int = 1
    chain_id: str = ""
    task: TaskSpec = field(default_factory=TaskSpec)
    checks: Checks = field(default_factory=Checks)
    timing: Timing = field(default_factory=Timing)
    short: Timing | None = None
    short_checks: Checks | None = None
    perturbations: tuple[Perturbation, ...] = ()
    partitions: tuple[NetworkPartition, ...] = ()
    workload: WorkloadSpec = field(default_factory=WorkloadSpec)

    def node(self, name: str) -> NodeSpec:
        return next(n for n in self.nodes if n.name == name)

    @property
    def validators(self) -> tuple[NodeSpec, ...]:
        return tuple(n for n in self.nodes if n.role is Role.VALIDATOR)

    @property
    def trainers(self) -> tuple[NodeSpec, ...]:
        return tuple(n for n in self.nodes if n.train)

    @property
    def honest(self) -> tuple[NodeSpec, ...]:
        return tuple(n for n in self.nodes if n.is_honest)

    @property
    def network_chain_id(self) -> str:
        return self.chain_id or f"deltachain-{self.name}"

    def shortened(self) -> Manifest:
        """The manifest with its ``[short]`` settings applied (the default test suite's run).

        Perturbations and partitions that would start after the short duration are dropped.
        """
        timing = self.short or self.timing
        end = timing.duration_s
        return Manifest(
            name=self.name,
            nodes=self.nodes,
            description=self.description,
            preset=self.preset,
            seed=self.seed,
            chain_id=self.chain_id,
            task=self.task,
            checks=self.short_checks or self.checks,
            timing=timing,
            perturbations=tuple(p for p in self.perturbations if p.at_s < end),
            partitions=tuple(p for p in self.partitions if p.at_s < end),
            workload=self.workload,
        )
