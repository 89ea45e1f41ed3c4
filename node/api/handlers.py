"""Route handlers: read the node through :class:`~node.chain.view.NodeView`, answer JSON.

A handler raises an :class:`~node.api.errors.ApiError` subclass for anything the client got
wrong or asked for that does not exist; the server turns it into the matching response.
"""

from __future__ import annotations

import hashlib

from consensus.encoding import decode
from consensus.errors import DecodeError
from consensus.transactions import MAX_TRANSACTION_BYTES, SignedTransaction
from node.api.admin import read_blocked_peers, render_blocked
from node.api.blocking import PeerBlocking
from node.api.body import read_tx_bytes
from node.api.chain_index import find_chain_index
from node.api.errors import (
    BadRequestError,
    NotFoundError,
    UnprocessableError,
    UnsupportedMediaTypeError,
)
from node.api.metrics import render_metrics
from node.api.openapi import build_openapi
from node.api.process_metrics import read_process_metrics
from node.api.render import (
    render_account,
    render_block,
    render_candidates,
    render_contribution,
    render_earned,
    render_located_tx,
    render_model,
    render_params,
    render_status,
    render_task,
    render_tasks,
    render_validators,
    to_json,
)
from node.api.request import METRICS_TYPE, Call, Response, json_response
from node.chain.mempool import MempoolError
from node.errors import StorageError
from node.learning.audit import UnknownVersionError, fetch_audit

OCTET_TYPE = "application/octet-stream"


async def get_status(call: Call) -> Response:
    return json_response(render_status(call.view.get_status()))


async def get_latest_block(call: Call) -> Response:
    height = call.view.get_chain_state().height
    if height == 0:
        raise NotFoundError("no block is final yet")
    return _block_at(call, height)


async def get_block(call: Call) -> Response:
    return _block_at(call, call.params["height"])


def _block_at(call: Call, height: int) -> Response:
    finalized = call.view.get_finalized(height)
    if finalized is None:
        raise NotFoundError(f"no final block at height {height}")
    return json_response(render_block(finalized))


async def get_tx(call: Call) -> Response:
    tx_hash: bytes = call.params["hash"]
    found = call.view.find_transaction(tx_hash)
    if found is None:
        raise NotFoundError(f"transaction {tx_hash.hex()} is not in a final block")
    return json_response(render_located_tx(*found))


async def post_tx(call: Call) -> Response:
    raw = read_tx_bytes(call.request)
    try:
        stx = decode(SignedTransaction, raw, max_size=MAX_TRANSACTION_BYTES)
    except DecodeError as exc:
        raise BadRequestError(f"not a canonical SignedTransaction: {exc}") from None
    try:
        await call.view.submit_transaction(stx)
    except MempoolError as exc:
        raise UnprocessableError(f"transaction refused: {exc}") from None
    return json_response({"hash": stx.hash.hex()}, status=202)


async def get_account(call: Call) -> Response:
    state = call.view.get_chain_state()
    address: bytes = call.params["address"]
    account = state.get_account(address)
    next_nonce = call.view.get_next_nonce(address)
    body = render_account(address, account, state.height, next_nonce)
    index = find_chain_index(call.view)
    body["earned"] = None
    if index is not None:
        totals, proposed = index.get_sender_totals(address), index.count_blocks_proposed(address)
        body["earned"] = render_earned(totals, proposed, state.params.block_reward)
    return json_response(body)


async def get_params(call: Call) -> Response:
    return json_response(render_params(call.view.get_chain_state()))


async def get_validators(call: Call) -> Response:
    return json_response(render_validators(call.view.get_chain_state()))


async def get_candidates(call: Call) -> Response:
    return json_response(render_candidates(call.view.get_chain_state()))


async def get_tasks(call: Call) -> Response:
    return json_response(render_tasks(call.view.get_chain_state()))


async def get_task(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    task = call.view.get_chain_state().tasks.get(task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    return json_response(render_task(task))


async def get_models(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    task = call.view.get_chain_state().tasks.get(task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    models = [
        render_model(m, task.get_evaluation(m.version)) for m in call.view.get_models(task_id)
    ]
    return json_response({"task_id": task_id, "models": models})


async def get_contributions(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    version: int = call.params["version"]
    if task_id not in call.view.get_chain_state().tasks:
        raise NotFoundError(f"no task {task_id}")
    rows = call.view.get_contributions(task_id, version)
    return json_response(
        {
            "task_id": task_id,
            "version": version,
            "contributions": [render_contribution(c) for c in rows],
        }
    )


async def get_audit(call: Call) -> Response:
    try:
        report = await fetch_audit(call.view, call.params["task_id"], call.params["version"])
    except UnknownVersionError as exc:
        raise NotFoundError(str(exc)) from None
    return json_response(to_json(report))


async def get_blob(call: Call) -> Response:
    blob_hash: bytes = call.params["hash"]
    try:
        data = call.view.get_blob(blob_hash)
    except StorageError as exc:  # the corrupt copy was removed: as good as absent
        raise NotFoundError(str(exc)) from None
    if data is None:
        raise NotFoundError(f"blob {blob_hash.hex()} is not held by this node")
    return Response(200, data, OCTET_TYPE)


async def put_blob(call: Call) -> Response:
    blob_hash: bytes = call.params["hash"]
    request = call.request
    if request.content_type != OCTET_TYPE:
        shown = request.content_type or "none"
        raise UnsupportedMediaTypeError(f"content type {shown!r} not accepted: send {OCTET_TYPE}")
    if not request.body:
        raise BadRequestError("empty body: expected the blob's bytes")
    actual = hashlib.sha256(request.body).digest()
    if actual != blob_hash:
        raise BadRequestError(f"body hashes to {actual.hex()}, not to {blob_hash.hex()}")
    call.view.put_blob(request.body)
    return json_response({"hash": blob_hash.hex(), "size": len(request.body)})


def _peer_control(call: Call) -> PeerBlocking:
    if call.peers is None:
        raise NotFoundError("this node has no network whose peers can be blocked")
    return call.peers


async def get_blocked_peers(call: Call) -> Response:
    return json_response(render_blocked(_peer_control(call).get_blocked()))


async def put_blocked_peers(call: Call) -> Response:
    control = _peer_control(call)
    blocked = read_blocked_peers(call.request)
    control.set_blocked(blocked.peers, blocked.block_all)
    return json_response(render_blocked(control.get_blocked()))


async def get_metrics(call: Call) -> Response:
    samples = {**call.view.get_metrics(), **call.server_metrics, **read_process_metrics()}
    return Response(200, render_metrics(samples).encode(), METRICS_TYPE)


async def get_openapi(call: Call) -> Response:
    return json_response(build_openapi(call.routes))
