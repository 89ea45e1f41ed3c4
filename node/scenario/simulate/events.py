"""The scenario mode's own events, carried by the simulator's queue as ``External`` payloads.

Per-node events are gated like every other input of that node (dropped while it is down, held
while it is paused); global events (perturbations, probes) act on the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

from consensus.bft.events import AggregationsDone
from consensus.transactions import SignedTransaction
from node.scenario.manifest import Action


@dataclass(frozen=True, slots=True)
class TxGossip:
    """A transaction from node ``src`` arrives on the transaction topic."""

    src: int
    stx: SignedTransaction


@dataclass(frozen=True, slots=True)
class AggregationReady:
    """The learning layer finished the tasks a final block made ready (fed to the engine)."""

    done: AggregationsDone


@dataclass(frozen=True, slots=True)
class TrainingDue:
    """The node's training job from model ``model_hash`` (``version``) is finished."""

    version: int
    model_hash: bytes
    incarnation: int
    """The node's start count when the job began (a job of a crashed process never ends)."""


@dataclass(frozen=True, slots=True)
class ResendTick:
    """Re-gossip the node's own transactions that still wait in its mempool."""

    incarnation: int


@dataclass(frozen=True, slots=True)
class SpamTick:
    """A spammer offers its invalid transactions to every peer."""

    incarnation: int


NodeEvent = TxGossip | AggregationReady | TrainingDue | ResendTick | SpamTick


@dataclass(frozen=True, slots=True)
class Probe:
    """Global: sample every node's height, let joiners bond, and check whether the run is done."""


@dataclass(frozen=True, slots=True)
class Control:
    """Global: ``action`` on node ``node`` starts (``begin``) or ends; ``start`` a late node."""

    action: Action | None
    """None: the node's first start (a late joiner)."""
    node: int
    begin: bool


@dataclass(frozen=True, slots=True)
class WorkloadTick:
    """Global: the client workload's accounts act (submit, check, re-submit)."""


GlobalEvent = Probe | Control | WorkloadTick
