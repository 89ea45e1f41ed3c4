"""The node's HTTP API: chain queries, transaction submission, OpenAPI and Prometheus metrics.

``serve_api`` runs the server (h11 on trio); ``ApiClient`` is the synchronous client the CLI
uses; ``request_in_memory`` talks to the same connection handler over memory streams.
"""

from node.api.app import ApiApp, ApiStats
from node.api.client import ApiClient
from node.api.connection import ApiLimits, handle_connection
from node.api.errors import ApiError, ApiUnavailableError
from node.api.memory import Reply, exchange_bytes, request_in_memory
from node.api.routes import ROUTES
from node.api.routing import Route
from node.api.server import is_loopback_host, serve_api

__all__ = [
    "ROUTES",
    "ApiApp",
    "ApiClient",
    "ApiError",
    "ApiLimits",
    "ApiStats",
    "ApiUnavailableError",
    "Reply",
    "Route",
    "exchange_bytes",
    "handle_connection",
    "is_loopback_host",
    "request_in_memory",
    "serve_api",
]
