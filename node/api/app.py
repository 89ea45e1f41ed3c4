"""The API application: route a parsed request, check the token, run the handler, map errors.

It knows nothing of sockets or HTTP framing (see :mod:`node.api.http`): given a
:class:`~node.api.request.Request` it always returns a :class:`~node.api.request.Response`.
Any exception from a handler becomes a 500 with a JSON message and a log line.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

import trio

from node.api.blocking import PeerBlocking, find_peer_blocking
from node.api.dashboard.layout import error_page, is_page_path
from node.api.dashboard.routes import DASHBOARD_ROUTES
from node.api.errors import (
    ApiError,
    MethodNotAllowedError,
    UnauthorizedError,
    UnavailableError,
)
from node.api.request import Call, Request, Response, error_response
from node.api.routes import ROUTES
from node.api.routing import Route, match_route
from node.api.waiting import WaitingRoom
from node.chain.view import NodeView
from node.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass
class ApiStats:
    """The server's own counters, exported on ``/metrics`` next to the node's."""

    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    bad_http: int = 0
    timeouts: int = 0
    rejected_connections: int = 0
    open_connections: int = 0

    def count(self, status: int) -> None:
        self.requests += 1
        if 400 <= status < 500:
            self.client_errors += 1
        elif status >= 500:
            self.server_errors += 1

    def to_metrics(self) -> dict[str, float]:
        return {
            "deltachain_api_requests_total": self.requests,
            "deltachain_api_client_errors_total": self.client_errors,
            "deltachain_api_server_errors_total": self.server_errors,
            "deltachain_api_bad_http_total": self.bad_http,
            "deltachain_api_timeouts_total": self.timeouts,
            "deltachain_api_rejected_connections_total": self.rejected_connections,
            "deltachain_api_open_connections": self.open_connections,
        }


class ApiApp:
    """Dispatch for one node; ``require_token`` guards routes marked ``needs_token``.

    ``routes`` are the API's (and what ``/openapi.json`` describes); ``pages`` are the
    dashboard's read-only HTML pages, matched together with them. ``peers`` serves
    ``/admin/blocked-peers``; by default the view's own network (``view.network``, as
    :class:`~node.chain_node.ChainNode` has it) when it can block.
    """

    def __init__(
        self,
        view: NodeView,
        *,
        token: str = "",
        require_token: bool = False,
        handler_timeout_s: float = 10.0,
        routes: tuple[Route, ...] = ROUTES,
        pages: tuple[Route, ...] = DASHBOARD_ROUTES,
        peers: PeerBlocking | None = None,
    ) -> None:
        if require_token and not token:
            raise ConfigError("a token is required when the token rule is on")
        self.view = view
        self.routes = routes
        self._all_routes = routes + pages
        self.require_token = require_token
        self.handler_timeout_s = handler_timeout_s
        self.stats = ApiStats()
        self.waiting = WaitingRoom()
        """Connections reading a request; the oldest makes room when the server is full."""
        self.peers = peers if peers is not None else find_peer_blocking(view)
        self._token = token.encode()

    async def respond(self, request: Request) -> Response:
        """The response to ``request``; never raises (except cancellation)."""
        try:
            response = await self._dispatch(request)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, _extra_headers(exc))
            if is_page_path(request.path) and not isinstance(exc, MethodNotAllowedError):
                response = error_page(self.view, exc)
        except Exception as exc:
            logger.exception("api handler failed method=%s path=%s", request.method, request.path)
            response = error_response(500, f"internal error: {type(exc).__name__}")
        self.stats.count(response.status)
        return response

    async def _dispatch(self, request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method  # same head, no body
        route, params = match_route(self._all_routes, method, request.path)
        if route.needs_token and self.require_token:
            self.check_token(request)
        metrics = {
            **self.stats.to_metrics(),
            "deltachain_api_evicted_connections_total": self.waiting.evicted,
        }
        call = Call(self.view, params, request, self.routes, metrics, self.peers)
        response: Response | None = None
        with trio.move_on_after(self.handler_timeout_s):
            response = await route.handler(call)
        if response is None:
            raise UnavailableError("the node did not answer in time")
        return response

    def check_token(self, request: Request) -> None:
        """Raise UnauthorizedError unless the request carries ``Bearer <our token>``."""
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        candidate = given.strip().encode("utf-8", "replace")
        matches = hmac.compare_digest(candidate, self._token)
        if scheme.lower() != "bearer" or not matches:
            raise UnauthorizedError("this route needs Authorization: Bearer <token>")


def _extra_headers(exc: ApiError) -> tuple[tuple[str, str], ...]:
    if isinstance(exc, MethodNotAllowedError):
        return (("allow", ", ".join(exc.allowed)),)
    if isinstance(exc, UnauthorizedError):
        return (("www-authenticate", "Bearer"),)
    return ()
