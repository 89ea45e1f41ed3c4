"""Read what the nodes' HTTP APIs say and check every reply's shape.

Every function takes a :data:`Fetch`: ``GET path`` on one node as a JSON object, or None
while the node does not answer (a plain ``dict.get`` over canned replies is a valid one, which
is how the tests drive these functions). A reply of the wrong shape raises
:class:`ObserveError` naming the path and the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from node.scenario.errors import ScenarioError

Fetch = Callable[[str], dict[str, Any] | None]
TASK_ID = 1


class ObserveError(ScenarioError):
    """A node's API reply does not have the documented shape."""


@dataclass(frozen=True)
class StatusRow:
    """What ``GET /status`` says that a run follows."""

    height: int
    round: int
    peers: int
    peer_id: str
    model_version: int
    finality_p50_ms: float | None
    finality_p99_ms: float | None


@dataclass(frozen=True)
class BlockRow:
    height: int
    hash: str
    round: int
    time_ms: int
    txs: tuple[str, ...] = ()
    """Hashes (hex) of the block's transactions, in block order."""


@dataclass(frozen=True)
class ModelRow:
    version: int
    model_hash: str
    height: int
    accuracy: float | None


@dataclass(frozen=True)
class AccountRow:
    balance: int
    bonded: int
    unbonding: int


@dataclass(frozen=True)
class ContributionRow:
    sender: str
    accepted: bool
    reward: int


def field(reply: dict[str, Any], key: str, kind: type, path: str) -> Any:
    """``reply[key]`` checked to be a ``kind`` (an int is not a bool here)."""
    value = reply.get(key)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise ObserveError(f"GET {path}: field {key!r} is not {kind.__name__}: {value!r}")
    return value


def optional_number(reply: dict[str, Any], key: str, path: str) -> float | None:
    if reply.get(key) is None:
        return None
    value = float(field(reply, key, float, path))
    return value if math.isfinite(value) else None


def fetch_status(fetch: Fetch) -> StatusRow | None:
    """The node's status, None while it does not answer."""
    reply = fetch("/status")
    if reply is None:
        return None
    models = field(reply, "models", dict, "/status")
    version = models.get(str(TASK_ID), 0)
    if not isinstance(version, int):
        raise ObserveError(f"GET /status: model version {version!r} is not an integer")
    return StatusRow(
        height=field(reply, "height", int, "/status"),
        round=field(reply, "round", int, "/status"),
        peers=field(reply, "peers", int, "/status"),
        peer_id=field(reply, "peer_id", str, "/status"),
        model_version=version,
        finality_p50_ms=optional_number(reply, "finality_p50_ms", "/status"),
        finality_p99_ms=optional_number(reply, "finality_p99_ms", "/status"),
    )


def fetch_block(fetch: Fetch, height: int) -> BlockRow | None:
    """The final block at ``height``, None when the node does not answer or lacks it."""
    path = f"/blocks/{height}"
    reply = fetch(path)
    if reply is None:
        return None
    header = field(reply, "header", dict, path)
    row = BlockRow(
        height=field(reply, "height", int, path),
        hash=field(reply, "hash", str, path),
        round=field(reply, "round", int, path),
        time_ms=field(header, "time_ms", int, path),
        txs=_tx_hashes(reply, path),
    )
    if row.height != height:
        raise ObserveError(f"GET {path}: reply is for height {row.height}")
    return row


def _tx_hashes(reply: dict[str, Any], path: str) -> tuple[str, ...]:
    txs = reply.get("txs", [])
    if not isinstance(txs, list) or not all(isinstance(t, str) for t in txs):
        raise ObserveError(f"GET {path}: field 'txs' is not a list of hashes: {txs!r}")
    return tuple(txs)


def fetch_models(fetch: Fetch) -> list[ModelRow] | None:
    """The task's model versions, oldest first."""
    path = f"/tasks/{TASK_ID}/models"
    reply = fetch(path)
    if reply is None:
        return None
    rows = []
    for entry in field(reply, "models", list, path):
        if not isinstance(entry, dict):
            raise ObserveError(f"GET {path}: a model entry is not an object")
        rows.append(
            ModelRow(
                version=field(entry, "version", int, path),
                model_hash=field(entry, "model_hash", str, path),
                height=field(entry, "height", int, path),
                accuracy=optional_number(entry, "accuracy", path),
            )
        )
    return sorted(rows, key=lambda r: r.version)


def fetch_account(fetch: Fetch, address: str) -> AccountRow | None:
    path = f"/accounts/{address}"
    reply = fetch(path)
    if reply is None:
        return None
    unbonding = 0
    for entry in field(reply, "unbonding", list, path):
        if not isinstance(entry, dict):
            raise ObserveError(f"GET {path}: an unbonding entry is not an object")
        unbonding += field(entry, "amount", int, path)
    return AccountRow(
        balance=field(reply, "balance", int, path),
        bonded=field(reply, "bonded", int, path),
        unbonding=unbonding,
    )


def fetch_validators(fetch: Fetch) -> frozenset[str] | None:
    """Addresses (hex) of the current validator set."""
    reply = fetch("/validators")
    if reply is None:
        return None
    entries = field(reply, "validators", list, "/validators")
    return frozenset(
        field(_object(v, "/validators"), "address", str, "/validators") for v in entries
    )


def fetch_tombstoned(fetch: Fetch) -> frozenset[str] | None:
    """Addresses of candidates tombstoned by double-sign evidence."""
    reply = fetch("/candidates")
    if reply is None:
        return None
    entries = [_object(c, "/candidates") for c in field(reply, "candidates", list, "/candidates")]
    return frozenset(
        field(c, "address", str, "/candidates")
        for c in entries
        if field(c, "tombstoned", bool, "/candidates")
    )


def fetch_contributions(fetch: Fetch, version: int) -> list[ContributionRow] | None:
    path = f"/tasks/{TASK_ID}/models/{version}/contributions"
    reply = fetch(path)
    if reply is None:
        return None
    rows = [_object(c, path) for c in field(reply, "contributions", list, path)]
    return [
        ContributionRow(
            sender=field(c, "sender", str, path),
            accepted=field(c, "accepted", bool, path),
            reward=field(c, "reward", int, path),
        )
        for c in rows
    ]


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ObserveError(f"GET {path}: an entry is not an object: {value!r}")
    return value
