"""What a handler sees and returns: a parsed request, its route parameters, and a response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from node.api.blocking import PeerBlocking
from node.chain.view import NodeView

JSON_TYPE = "application/json"
CBOR_TYPE = "application/cbor"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REASONS: dict[int, str] = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


@dataclass(frozen=True)
class Request:
    """One HTTP request: method, path, lower-case header names, whole body, and the query
    string (the text after ``?``, undecoded; only the dashboard's pages read it)."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: str = ""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (empty when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Response:
    """One HTTP response; ``headers`` are extra headers beyond type and length."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Call:
    """A request routed to a handler: the node, the decoded path parameters, the request, and
    what the server itself knows (its route table, its own counters, the network's block
    list control when the node has one)."""

    view: NodeView
    params: Mapping[str, Any]
    request: Request
    routes: tuple[Any, ...] = ()
    server_metrics: Mapping[str, float] = field(default_factory=dict)
    peers: PeerBlocking | None = None


def json_response(
    obj: object, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """``obj`` as compact UTF-8 JSON."""
    body = json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()
    return Response(status, body, JSON_TYPE, headers)


def error_response(
    status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """The one error shape: ``{"status": 404, "error": "Not Found", "message": "..."}``."""
    reason = REASONS.get(status, "Error")
    return json_response({"status": status, "error": reason, "message": message}, status, headers)
