"""Read a scenario manifest from TOML: every unknown key and bad value is one clear error.

Layout of a manifest file::

    name = "byzantine-7"            # also the default chain id suffix
    description = "..."
    preset = "local"                # chain preset (configs/presets) or a .toml path
    seed = 1                        # keys, data partition; --seed overrides

    [timing]                        # duration_s, stop_when_done
    [short]                         # the same keys for the default test suite, plus [short.checks]
    [task]                          # model, rule, rule_params, min_deltas, partition, alpha, ...
    [checks]                        # target_accuracy, min_height, catch_up_blocks, ...

    [[node]]                        # name, role, stake, votes, train, byzantine, attack,
    count = 5                       # start_at_s, join_as_candidate, join_bond; with count = N
    name = "v"                      # the entry expands to v0 .. v{N-1}

    [[perturbation]]                # at_s, node, action (kill|pause|restart|disconnect), duration_s
    [[partition]]                   # at_s, heal_at_s, groups = [["v0", "v1"], ["v2", "v3"]]
    [workload]                      # accounts (0: off), balance, amount, interval_s,
                                    # resubmit_after_s, drain_s: a client workload
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from node.bundled import find_scenario, list_scenarios
from node.scenario.checking import validate_manifest
from node.scenario.errors import ManifestError
from node.scenario.manifest import (
    Action,
    Attack,
    Byzantine,
    Checks,
    Manifest,
    NetworkPartition,
    NodeSpec,
    Partition,
    Perturbation,
    Role,
    TaskSpec,
    Timing,
    WorkloadSpec,
)

TOP_KEYS = {"name", "description", "preset", "seed", "chain_id", "timing", "short", "task"}
TOP_KEYS |= {"checks", "node", "perturbation", "partition", "workload"}
MAX_NODES = 1_000


def load_manifest(path: Path) -> Manifest:
    """Read and check the manifest at ``path``, or the shipped one of that name (``baseline-4``)
    when no such file exists."""
    if not path.exists():
        path = find_scenario(str(path)) or path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        shipped = ", ".join(list_scenarios())
        raise ManifestError(f"manifest {path} not found (shipped: {shipped})") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"manifest {path} is not valid TOML: {exc}") from None
    try:
        return parse_manifest(raw)
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from None


def parse_manifest(raw: Mapping[str, Any]) -> Manifest:
    """Build and check a :class:`Manifest` from parsed TOML."""
    _check_keys("", raw, TOP_KEYS)
    short = _table(raw, "short")
    short_checks = _table(short, "checks", "short.")
    manifest = Manifest(
        name=_get(raw, "name", str, None),
        description=_get(raw, "description", str, ""),
        preset=_get(raw, "preset", str, "local"),
        seed=_get(raw, "seed", int, 1),
        chain_id=_get(raw, "chain_id", str, ""),
        nodes=_parse_nodes(_list(raw, "node")),
        task=_parse_task(_table(raw, "task")),
        checks=_record(Checks, _table(raw, "checks"), "checks."),
        timing=_record(Timing, _table(raw, "timing"), "timing."),
        short=_record(Timing, {k: v for k, v in short.items() if k != "checks"}, "short.")
        if short
        else None,
        short_checks=_record(Checks, short_checks, "short.checks.") if short_checks else None,
        perturbations=tuple(
            _record(Perturbation, t, f"perturbation[{i}].")
            for i, t in enumerate(_list(raw, "perturbation"))
        ),
        partitions=tuple(_parse_partition(t, i) for i, t in enumerate(_list(raw, "partition"))),
        workload=_record(WorkloadSpec, _table(raw, "workload"), "workload."),
    )
    validate_manifest(manifest)
    return manifest


def _parse_nodes(entries: list[Mapping[str, Any]]) -> tuple[NodeSpec, ...]:
    nodes: list[NodeSpec] = []
    for i, entry in enumerate(entries):
        count = _get(entry, "count", int, 0)
        if not 0 <= count <= MAX_NODES:
            raise ManifestError(f"node[{i}].count must be in [0, {MAX_NODES}]")
        table = {k: v for k, v in entry.items() if k != "count"}
        spec = _record(NodeSpec, table, f"node[{i}].")
        if not count:
            nodes.append(spec)
            continue
        nodes.extend(_renamed(spec, f"{spec.name}{j}") for j in range(count))
    return tuple(nodes)


def _renamed(spec: NodeSpec, name: str) -> NodeSpec:
    values = {f.name: getattr(spec, f.name) for f in fields(NodeSpec)}
    return NodeSpec(**{**values, "name": name})


def _parse_task(table: Mapping[str, Any]) -> TaskSpec:
    params = table.get("rule_params", {})
    if not isinstance(params, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in params.values()
    ):
        raise ManifestError("task.rule_params must be a table of numbers")
    rest = {k: v for k, v in table.items() if k != "rule_params"}
    task = _record(TaskSpec, rest, "task.")
    pairs = tuple(sorted((str(k), v) for k, v in params.items()))
    values = {f.name: getattr(task, f.name) for f in fields(TaskSpec)}
    return TaskSpec(**{**values, "rule_params": pairs})


def _parse_partition(table: Mapping[str, Any], index: int) -> NetworkPartition:
    prefix = f"partition[{index}]."
    _check_keys(prefix, table, {"at_s", "heal_at_s", "groups"})
    groups = table.get("groups")
    if not isinstance(groups, list) or not all(
        isinstance(g, list) and g and all(isinstance(n, str) for n in g) for g in groups
    ):
        raise ManifestError(f"{prefix}groups must be a list of non-empty lists of node names")
    return NetworkPartition(
        at_s=_get(table, "at_s", float, None, prefix),
        heal_at_s=_get(table, "heal_at_s", float, None, prefix),
        groups=tuple(tuple(g) for g in groups),
    )


def _record(cls: type[Any], table: Mapping[str, Any], prefix: str) -> Any:
    """An instance of dataclass ``cls`` from ``table``; absent keys take the defaults."""
    by_name = {f.name: f for f in fields(cls)}
    _check_keys(prefix, table, set(by_name))
    values: dict[str, Any] = {}
    for name, value in table.items():
        values[name] = _convert(by_name[name].type, value, prefix + name)
    try:
        return cls(**values)
    except TypeError as exc:  # a required key is missing
        missing = str(exc).rsplit(":", 1)[-1].strip()
        raise ManifestError(f"{prefix.rstrip('.')} needs {missing}") from None


_ENUMS: dict[str, type[enum.Enum]] = {
    "Role": Role,
    "Byzantine": Byzantine,
    "Attack": Attack,
    "Action": Action,
    "Partition": Partition,
}


def _convert(annotation: object, value: object, key: str) -> Any:
    kind = str(annotation)
    if kind in _ENUMS:
        choices = [m.value for m in _ENUMS[kind]]
        if value not in choices:
            raise ManifestError(f"{key} must be one of {choices}, got {value!r}")
        return _ENUMS[kind](value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{key} must be a list of strings")
        return tuple(value)
    if kind == "float | None":
        return None if value is None else _scalar(value, float, key)
    return _scalar(value, {"str": str, "int": int, "float": float, "bool": bool}[kind], key)


def _scalar(value: object, kind: type, key: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ManifestError(f"{key} must be of type {kind.__name__}, got {value!r}")
    return value


def _get(table: Mapping[str, Any], key: str, kind: type, default: Any, prefix: str = "") -> Any:
    if key not in table:
        if default is None:
            raise ManifestError(f"{prefix}{key} is required")
        return default
    return _scalar(table[key], kind, prefix + key)


def _table(raw: Mapping[str, Any], name: str, prefix: str = "") -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ManifestError(f"[{prefix}{name}] must be a table")
    return value


def _list(raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ManifestError(f"[[{name}]] must be an array of tables")
    return value


def _check_keys(prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ManifestError(f"unknown key(s): {', '.join(prefix + k for k in unknown)}")
