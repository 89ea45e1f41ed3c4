"""Consistency rules of a manifest beyond single values (names, references, fault budget)."""

from __future__ import annotations

import re

from ml.aggregation.spec import AggregationSpec
from ml.errors import MlError
from ml.models import get_model_spec
from node.scenario.errors import ManifestError
from node.scenario.manifest import Byzantine, Manifest, NodeSpec, Role

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def validate_manifest(manifest: Manifest) -> None:
    """Raise :class:`ManifestError` naming the first rule ``manifest`` breaks."""
    if not NAME_PATTERN.match(manifest.name):
        raise ManifestError(f"name {manifest.name!r} must match {NAME_PATTERN.pattern}")
    _validate_nodes(manifest)
    _validate_fault_budget(manifest)
    _validate_task(manifest)
    _validate_schedule(manifest)
    _validate_timing(manifest)
    _validate_workload(manifest)


def _validate_nodes(manifest: Manifest) -> None:
    names = [n.name for n in manifest.nodes]
    if not manifest.validators:
        raise ManifestError("a manifest needs at least one [[node]] with role = 'validator'")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ManifestError(f"node names must be unique: {', '.join(duplicates)}")
    for node in manifest.nodes:
        _validate_node(node, manifest)


def _validate_node(node: NodeSpec, manifest: Manifest) -> None:
    where = f"node {node.name!r}"
    if not NAME_PATTERN.match(node.name):
        raise ManifestError(f"{where}: name must match {NAME_PATTERN.pattern}")
    if node.stake < 0 or node.balance < 0 or node.join_bond < 0 or node.start_at_s < 0:
        raise ManifestError(f"{where}: stake, balance, join_bond and start_at_s must be >= 0")
    if node.role is Role.VALIDATOR and node.stake == 0:
        raise ManifestError(f"{where}: a validator needs stake > 0")
    candidates = {n.name for n in manifest.nodes if n.role is Role.VALIDATOR}
    for vote in node.votes:
        if vote not in candidates:
            raise ManifestError(f"{where}: votes for {vote!r}, which is not a validator")
    if node.attack.value and not node.train:
        raise ManifestError(f"{where}: a poisoning attack needs train = true")
    if node.join_as_candidate and (node.role is not Role.FULL or node.join_bond <= 0):
        raise ManifestError(f"{where}: join_as_candidate needs role = 'full' and join_bond > 0")
    consensus_roles = (Byzantine.DOUBLE_SIGNER, Byzantine.EQUIVOCATING_PROPOSER)
    if node.byzantine in consensus_roles and node.role is not Role.VALIDATOR:
        raise ManifestError(f"{where}: {node.byzantine.value} needs role = 'validator'")


def _validate_fault_budget(manifest: Manifest) -> None:
    """Byzantine validators must hold less than a third of the genesis validator stake."""
    validators = manifest.validators
    total = sum(v.stake for v in validators)
    faulty = sum(v.stake for v in validators if v.byzantine is not Byzantine.NONE)
    if 3 * faulty >= total:
        raise ManifestError(
            f"Byzantine validators hold {faulty} of {total} stake: BFT needs less than a third"
        )


def _validate_task(manifest: Manifest) -> None:
    task = manifest.task
    try:
        get_model_spec(task.model)
        AggregationSpec.from_dict(
            {
                "model_id": task.model,
                "rule": task.rule,
                "clip_norm": task.clip_norm,
                "min_deltas": 1,
                **dict(task.rule_params),
            }
        )
    except (MlError, KeyError, ValueError) as exc:
        raise ManifestError(f"task: {exc}") from None
    if task.min_deltas < 0 or task.max_staleness < 0 or task.local_epochs < 1:
        raise ManifestError("task: min_deltas, max_staleness >= 0 and local_epochs >= 1")
    if task.min_deltas > len(manifest.trainers):
        raise ManifestError(f"task.min_deltas {task.min_deltas} exceeds the trainers' count")
    if task.alpha <= 0 or task.learning_rate <= 0 or task.batch_size < 1 or task.clip_norm <= 0:
        raise ManifestError("task: alpha, learning_rate, clip_norm and batch_size must be positive")


def _validate_schedule(manifest: Manifest) -> None:
    names = {n.name for n in manifest.nodes}
    for p in manifest.perturbations:
        if p.node not in names:
            raise ManifestError(f"perturbation at {p.at_s}s names unknown node {p.node!r}")
        if p.at_s < 0 or p.duration_s <= 0:
            raise ManifestError(f"perturbation of {p.node!r}: at_s >= 0 and duration_s > 0")
    for part in manifest.partitions:
        members = [n for group in part.groups for n in group]
        if not 0 <= part.at_s < part.heal_at_s:
            raise ManifestError(f"partition at {part.at_s}s: need 0 <= at_s < heal_at_s")
        unknown = sorted(set(members) - names)
        if unknown:
            raise ManifestError(f"partition at {part.at_s}s names unknown nodes {unknown}")
        if len(members) != len(set(members)):
            raise ManifestError(f"partition at {part.at_s}s puts a node in two groups")


def _validate_timing(manifest: Manifest) -> None:
    for timing in (manifest.timing, manifest.short):
        if timing is not None and timing.duration_s <= 0:
            raise ManifestError("duration_s must be positive")
    for checks in (manifest.checks, manifest.short_checks):
        if checks is None:
            continue
        if checks.target_accuracy is not None and not 0 < checks.target_accuracy <= 1:
            raise ManifestError("checks.target_accuracy must be in (0, 1]")
        if checks.min_height < 0 or checks.catch_up_blocks < 0:
            raise ManifestError("checks.min_height and catch_up_blocks must be >= 0")


def _validate_workload(manifest: Manifest) -> None:
    load = manifest.workload
    if load.accounts == 1 or load.accounts < 0:
        raise ManifestError("workload.accounts must be 0 (off) or at least 2 (they pay each other)")
    if load.amount < 1 or load.balance < 0:
        raise ManifestError("workload: amount must be >= 1 and balance >= 0")
    if min(load.interval_s, load.resubmit_after_s) <= 0 or load.drain_s < 0:
        raise ManifestError("workload: interval_s, resubmit_after_s > 0 and drain_s >= 0")
