"""The route table, kept in one place: the server dispatches with it, OpenAPI is built from it.

A template is a path of literal segments and ``{name}`` parameters; each parameter has a kind
that says how its text is parsed. A literal segment wins over a parameter
(``/blocks/latest`` before ``/blocks/{height}``).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from node.api import handlers
from node.api.body import parse_hex
from node.api.errors import BadRequestError, MethodNotAllowedError, NotFoundError
from node.api.request import JSON_TYPE, METRICS_TYPE, Call, Response

Handler = Callable[[Call], Awaitable[Response]]
MAX_INDEX = 2**63 - 1  # heights, ids and versions are SQLite integers


class ParamKind(enum.Enum):
    """How a path parameter is written."""

    INDEX = "index"
    HASH = "hash"
    ADDRESS = "address"


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    description: str


@dataclass(frozen=True)
class Route:
    """One operation: method, path template, handler and what OpenAPI says about it."""

    method: str
    template: str
    handler: Handler
    operation_id: str
    summary: str
    schema: str
    status: int = 200
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    media_type: str = JSON_TYPE
    needs_token: bool = False
    request_schema: str = ""
    """The JSON body's schema (``PUT`` routes without one take raw bytes)."""

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


HEIGHT = Param("height", ParamKind.INDEX, "Block height (1 is the first block)")
TX_HASH = Param("hash", ParamKind.HASH, "Transaction hash, 64 hex digits")
ADDRESS = Param("address", ParamKind.ADDRESS, "Account address (Ed25519 public key), 64 hex")
TASK_ID = Param("task_id", ParamKind.INDEX, "Training task id")
VERSION = Param("version", ParamKind.INDEX, "Model version of the task")
BLOB_HASH = Param("hash", ParamKind.HASH, "SHA-256 of the blob, 64 hex digits")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/status", handlers.get_status, "getStatus", "Node status", "Status"),
    Route(
        "GET", "/blocks/latest", handlers.get_latest_block, "getLatestBlock",
        "The latest final block", "Block", errors=(404,),
    ),
    Route(
        "GET", "/blocks/{height}", handlers.get_block, "getBlock",
        "A final block: header, transaction hashes, commit signers and round", "Block",
        params=(HEIGHT,), errors=(400, 404),
    ),
    Route(
        "GET", "/txs/{hash}", handlers.get_tx, "getTransaction",
        "A final transaction: where it is and its decoded body", "LocatedTransaction",
        params=(TX_HASH,), errors=(400, 404),
    ),
    Route(
        "POST", "/txs", handlers.post_tx, "submitTransaction",
        "Submit a signed transaction (CBOR, raw or hex in JSON) to the mempool", "Submitted",
        status=202, errors=(400, 401, 413, 415, 422), needs_token=True,
    ),
    Route(
        "GET", "/accounts/{address}", handlers.get_account, "getAccount",
        "Balance, bonded stake, unbonding entries, nonce and votes", "Account",
        params=(ADDRESS,), errors=(400,),
    ),
    Route(
        "GET", "/params", handlers.get_params, "getParams",
        "The chain parameters (minimum fee, timeouts, epoch, rewards)", "Params",
    ),
    Route(
        "GET", "/validators", handlers.get_validators, "getValidators",
        "The current validator set", "Validators",
    ),
    Route(
        "GET", "/candidates", handlers.get_candidates, "getCandidates",
        "Registered candidates with their backing stake", "Candidates",
    ),
    Route("GET", "/tasks", handlers.get_tasks, "getTasks", "Training tasks", "Tasks"),
    Route(
        "GET", "/tasks/{task_id}", handlers.get_task, "getTask",
        "A training task: spec, model version and hash, reward pool, pending deltas", "Task",
        params=(TASK_ID,), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models", handlers.get_models, "getModels",
        "Model versions of a task with their height and accuracy", "Models",
        params=(TASK_ID,), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models/{version}/contributions", handlers.get_contributions,
        "getContributions", "Deltas counted by one aggregation and their rewards",
        "Contributions", params=(TASK_ID, VERSION), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models/{version}/audit", handlers.get_audit, "getAudit",
        "Audit of a model version: its block's commit, each delta's signature, inclusion, "
        "commit and reward checked, the snapshot hash recomputed, the aggregation re-run",
        "Audit",
        params=(TASK_ID, VERSION), errors=(400, 404),
    ),
    Route(
        "GET", "/blobs/{hash}", handlers.get_blob, "getBlob",
        "A held blob (delta payload or model snapshot) by its SHA-256, raw bytes", "Blob",
        params=(BLOB_HASH,), errors=(400, 404), media_type="application/octet-stream",
    ),
    Route(
        "PUT", "/blobs/{hash}", handlers.put_blob, "putBlob",
        "Store a blob (e.g. a task's initial model snapshot); the body must hash to the path",
        "StoredBlob", params=(BLOB_HASH,), errors=(400, 401, 413, 415), needs_token=True,
    ),
    Route(
        "GET", "/admin/blocked-peers", handlers.get_blocked_peers, "getBlockedPeers",
        "Peers this node refuses to talk to (set by an operator or a scenario runner)",
        "BlockedPeers", errors=(404,),
    ),
    Route(
        "PUT", "/admin/blocked-peers", handlers.put_blocked_peers, "putBlockedPeers",
        "Replace the block list: close and refuse connections, streams and gossip of the "
        "listed peers (of every peer with all=true); an empty list with all=false heals",
        "BlockedPeers", errors=(400, 401, 404, 413, 415), needs_token=True,
        request_schema="BlockedPeers",
    ),
    Route(
        "GET", "/metrics", handlers.get_metrics, "getMetrics",
        "Prometheus metrics (text exposition format 0.0.4)", "Metrics", media_type=METRICS_TYPE,
    ),
    Route(
        "GET", "/openapi.json", handlers.get_openapi, "getOpenApi",
        "This API's OpenAPI 3.1 description", "OpenApi",
    ),
)  # fmt: skip


def match_route(
    routes: tuple[Route, ...], method: str, path: str
) -> tuple[Route, Mapping[str, Any]]:
    """The route for ``method`` and ``path`` with its parsed parameters; raise 404/405/400."""
    parts = tuple(path.strip("/").split("/"))
    shaped = sorted(
        (r for r in routes if _fits(r.segments, parts)),
        key=lambda r: -sum(not s.startswith("{") for s in r.segments),
    )
    if not shaped:
        raise NotFoundError(f"no route for {path}")
    best = [r for r in shaped if r.segments == shaped[0].segments]
    route = next((r for r in best if r.method == method), None)
    if route is None:
        allowed = tuple(sorted({r.method for r in best}))
        raise MethodNotAllowedError(f"{method} not allowed on {path}", allowed)
    return route, _parse_params(route, parts)


def _fits(segments: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if len(segments) != len(parts):
        return False
    return all(s.startswith("{") or s == p for s, p in zip(segments, parts, strict=True))


def _parse_params(route: Route, parts: tuple[str, ...]) -> dict[str, Any]:
    by_name = {p.name: p for p in route.params}
    values: dict[str, Any] = {}
    for segment, text in zip(route.segments, parts, strict=True):
        if segment.startswith("{"):
            param = by_name[segment[1:-1]]
            values[param.name] = parse_param(param, text)
    return values


def parse_param(param: Param, text: str) -> int | bytes:
    """A path parameter's value; raise BadRequestError naming the parameter."""
    if param.kind is ParamKind.INDEX:
        if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_INDEX:
            raise BadRequestError(f"{param.name} must be a decimal integer in [0, 2^63)")
        return int(text)
    return parse_hex(text, param.name, 32)
