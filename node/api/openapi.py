"""The OpenAPI 3.1 document, generated from the route table and :mod:`node.api.schemas`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from node.api.request import CBOR_TYPE, JSON_TYPE, REASONS
from node.api.routing import Param, Route
from node.api.schemas import SCHEMAS, ref

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"

PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "index": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    "hash": {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{64}$"},
    "address": {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{64}$"},
}


def build_openapi(routes: Sequence[Route]) -> dict[str, Any]:
    """The document describing every route of ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Deltachain node API",
            "version": API_VERSION,
            "description": "Chain queries, transaction submission and metrics of one node. "
            "Bytes are lowercase hex. POST /txs needs a bearer token when the node listens "
            "on a non-loopback address.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route) -> dict[str, Any]:
    responses = {str(route.status): _content(REASONS[route.status], route.media_type, route.schema)}
    for status in (*route.errors, 500):
        responses[str(status)] = _content(REASONS[status], JSON_TYPE, "Error")
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "parameters": [_parameter(p) for p in route.params],
        "responses": responses,
    }
    if route.method == "POST":
        operation["requestBody"] = _submit_body()
    if route.request_schema:
        json_body = {"schema": ref(route.request_schema)}
        operation["requestBody"] = {"required": True, "content": {JSON_TYPE: json_body}}
    elif route.method == "PUT":
        raw = {
            "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "minLength": 1,
            }
        }
        operation["requestBody"] = {
            "required": True,
            "content": {"application/octet-stream": raw},
        }
    if route.needs_token:
        operation["security"] = [{}, {"bearer": []}]
    return operation


def _parameter(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": "path",
        "required": True,
        "description": param.description,
        "schema": PARAM_SCHEMAS[param.kind.value],
    }


def _content(description: str, media_type: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": ref(schema)}}}


def _submit_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            CBOR_TYPE: {"schema": {"type": "string", "contentMediaType": CBOR_TYPE}},
            JSON_TYPE: {"schema": ref("SubmitJson")},
        },
    }
