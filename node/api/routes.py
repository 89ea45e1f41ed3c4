"""The route table, kept in one place: the server dispatches with it, OpenAPI is built from it.

How a route is described and matched is :mod:`node.api.routing`.
"""

from __future__ import annotations

from node.api.handlers import (
    get_account,
    get_audit,
    get_blob,
    get_block,
    get_blocked_peers,
    get_candidates,
    get_contributions,
    get_latest_block,
    get_metrics,
    get_models,
    get_openapi,
    get_params,
    get_status,
    get_task,
    get_tasks,
    get_tx,
    get_validators,
    post_tx,
    put_blob,
    put_blocked_peers,
)
from node.api.request import METRICS_TYPE
from node.api.routing import Param, ParamKind, Route

HEIGHT = Param("height", ParamKind.INDEX, "Block height (1 is the first block)")
TX_HASH = Param("hash", ParamKind.HASH, "Transaction hash, 64 hex digits")
ADDRESS = Param("address", ParamKind.ADDRESS, "Account address (Ed25519 public key), 64 hex")
TASK_ID = Param("task_id", ParamKind.INDEX, "Training task id")
VERSION = Param("version", ParamKind.INDEX, "Model version of the task")
BLOB_HASH = Param("hash", ParamKind.HASH, "SHA-256 of the blob, 64 hex digits")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/status", get_status, "getStatus", "Node status", "Status"),
    Route(
        "GET", "/blocks/latest", get_latest_block, "getLatestBlock",
        "The latest final block", "Block", errors=(404,),
    ),
    Route(
        "GET", "/blocks/{height}", get_block, "getBlock",
        "A final block: header, transaction hashes, commit signers and round", "Block",
        params=(HEIGHT,), errors=(400, 404),
    ),
    Route(
        "GET", "/txs/{hash}", get_tx, "getTransaction",
        "A final transaction: where it is and its decoded body", "LocatedTransaction",
        params=(TX_HASH,), errors=(400, 404),
    ),
    Route(
        "POST", "/txs", post_tx, "submitTransaction",
        "Submit a signed transaction (CBOR, raw or hex in JSON) to the mempool", "Submitted",
        status=202, errors=(400, 401, 413, 415, 422), needs_token=True,
    ),
    Route(
        "GET", "/accounts/{address}", get_account, "getAccount",
        "Balance, bonded stake, unbonding entries, nonce and votes", "Account",
        params=(ADDRESS,), errors=(400,),
    ),
    Route(
        "GET", "/params", get_params, "getParams",
        "The chain parameters (minimum fee, timeouts, epoch, rewards)", "Params",
    ),
    Route(
        "GET", "/validators", get_validators, "getValidators",
        "The current validator set", "Validators",
    ),
    Route(
        "GET", "/candidates", get_candidates, "getCandidates",
        "Registered candidates with their backing stake", "Candidates",
    ),
    Route("GET", "/tasks", get_tasks, "getTasks", "Training tasks", "Tasks"),
    Route(
        "GET", "/tasks/{task_id}", get_task, "getTask",
        "A training task: spec, model version and hash, reward pool, pending deltas", "Task",
        params=(TASK_ID,), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models", get_models, "getModels",
        "Model versions of a task with their height and accuracy", "Models",
        params=(TASK_ID,), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models/{version}/contributions", get_contributions,
        "getContributions", "Deltas counted by one aggregation and their rewards",
        "Contributions", params=(TASK_ID, VERSION), errors=(400, 404),
    ),
    Route(
        "GET", "/tasks/{task_id}/models/{version}/audit", get_audit, "getAudit",
        "Audit of a model version: its block's commit, each delta's signature, inclusion, "
        "commit and reward checked, the snapshot hash recomputed, the aggregation re-run",
        "Audit",
        params=(TASK_ID, VERSION), errors=(400, 404),
    ),
    Route(
        "GET", "/blobs/{hash}", get_blob, "getBlob",
        "A held blob (delta payload or model snapshot) by its SHA-256, raw bytes", "Blob",
        params=(BLOB_HASH,), errors=(400, 404), media_type="application/octet-stream",
    ),
    Route(
        "PUT", "/blobs/{hash}", put_blob, "putBlob",
        "Store a blob (e.g. a task's initial model snapshot); the body must hash to the path",
        "StoredBlob", params=(BLOB_HASH,), errors=(400, 401, 413, 415), needs_token=True,
    ),
    Route(
        "GET", "/admin/blocked-peers", get_blocked_peers, "getBlockedPeers",
        "Peers this node refuses to talk to (set by an operator or a scenario runner)",
        "BlockedPeers", errors=(404,),
    ),
    Route(
        "PUT", "/admin/blocked-peers", put_blocked_peers, "putBlockedPeers",
        "Replace the block list: close and refuse connections, streams and gossip of the "
        "listed peers (of every peer with all=true); an empty list with all=false heals",
        "BlockedPeers", errors=(400, 401, 404, 413, 415), needs_token=True,
        request_schema="BlockedPeers",
    ),
    Route(
        "GET", "/metrics", get_metrics, "getMetrics",
        "Prometheus metrics (text exposition format 0.0.4)", "Metrics", media_type=METRICS_TYPE,
    ),
    Route(
        "GET", "/openapi.json", get_openapi, "getOpenApi",
        "This API's OpenAPI 3.1 description", "OpenApi",
    ),
)  # fmt: skip
