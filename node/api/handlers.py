"""Route handlers: read the node through :class:`~node.view.NodeView`, answer JSON.

A handler raises an :class:`~node.api.errors.ApiError` subclass for anything the client got
wrong or asked for that does not exist; the server turns it into the matching response.
"""

from __future__ import annotations

from consensus.encoding import decode
from consensus.errors import DecodeError
from consensus.transactions import MAX_TRANSACTION_BYTES, SignedTransaction
from node.api import render
from node.api.body import read_tx_bytes
from node.api.errors import BadRequestError, NotFoundError, UnprocessableError
from node.api.metrics import render_metrics
from node.api.openapi import build_openapi
from node.api.request import METRICS_TYPE, Call, Response, json_response
from node.mempool import MempoolError


async def get_status(call: Call) -> Response:
    return json_response(render.render_status(call.view.get_status()))


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
    return json_response(render.render_block(finalized))


async def get_tx(call: Call) -> Response:
    tx_hash: bytes = call.params["hash"]
    found = call.view.find_transaction(tx_hash)
    if found is None:
        raise NotFoundError(f"transaction {tx_hash.hex()} is not in a final block")
    return json_response(render.render_located_tx(*found))


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
    return json_response(render.render_account(address, state.get_account(address), state.height))


async def get_validators(call: Call) -> Response:
    return json_response(render.render_validators(call.view.get_chain_state()))


async def get_candidates(call: Call) -> Response:
    return json_response(render.render_candidates(call.view.get_chain_state()))


async def get_tasks(call: Call) -> Response:
    return json_response(render.render_tasks(call.view.get_chain_state()))


async def get_task(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    task = call.view.get_chain_state().tasks.get(task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    return json_response(render.render_task(task))


async def get_models(call: Call) -> Response:
    task_id: int = call.params["task_id"]
    if task_id not in call.view.get_chain_state().tasks:
        raise NotFoundError(f"no task {task_id}")
    models = [render.render_model(m) for m in call.view.get_models(task_id)]
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
            "contributions": [render.render_contribution(c) for c in rows],
        }
    )


async def get_metrics(call: Call) -> Response:
    samples = {**call.view.get_metrics(), **call.server_metrics}
    return Response(200, render_metrics(samples).encode(), METRICS_TYPE)


async def get_openapi(call: Call) -> Response:
    return json_response(build_openapi(call.routes))
