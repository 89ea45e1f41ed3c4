"""``serve_api``: listen on TCP and serve each connection in its own task."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging

import trio
from trio_typing import TaskStatus

from node.api.app import ApiApp
from node.api.blocking import PeerBlocking
from node.api.connection import ApiLimits, handle_connection
from node.api.request import error_response
from node.chain.view import NodeView
from node.errors import ConfigError, PortInUseError

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = ApiLimits()
_BUSY = error_response(503, "too many connections")
BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_BUSY.body), _BUSY.body)
)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names only this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def compute_dashboard_url(host: str, port: int) -> str:
    """The dashboard's address for a server on ``host:port`` (a wildcard host reads as
    loopback, which is where a browser on the same machine finds it)."""
    shown = host or "127.0.0.1"
    if shown in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    elif ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


async def serve_api(
    view: NodeView,
    host: str,
    port: int,
    token: str,
    *,
    limits: ApiLimits = DEFAULT_LIMITS,
    peers: PeerBlocking | None = None,
    task_status: TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the API for ``view`` on ``host:port`` until cancelled; ``task_status.started``
    receives the bound port (useful with port 0).

    On a non-loopback ``host`` (``""`` or ``0.0.0.0`` included) ``POST /txs`` needs
    ``Authorization: Bearer <token>``, and an empty ``token`` is a ConfigError.
    ``peers`` controls the block list (default: ``view.network``, see :class:`ApiApp`).
    """
    require_token = not is_loopback_host(host)
    if require_token and not token:
        raise ConfigError(f"the API listens on non-loopback host {host!r}: a token is required")
    app = ApiApp(view, token=token, require_token=require_token, peers=peers)
    try:
        listeners = await trio.open_tcp_listeners(port, host=host or None)
    except OSError as exc:
        message = f"the API cannot listen on {host or '*'}:{port}: {exc.strerror or exc}"
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(message) from exc
        raise ConfigError(message) from exc
    if port == 0:  # each address family would get its own ephemeral port: keep one
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    bound = int(listeners[0].socket.getsockname()[1])
    logger.info("api listening host=%s port=%d token_required=%s", host, bound, require_token)
    logger.info("dashboard at %s", compute_dashboard_url(host, bound))

    async def on_connection(stream: trio.SocketStream) -> None:
        full = app.stats.open_connections >= limits.max_connections
        if full and not app.waiting.evict_oldest():  # room only by dropping the oldest waiter
            app.stats.rejected_connections += 1
            with trio.move_on_after(limits.write_timeout_s):
                with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                    await stream.send_all(BUSY_REPLY)
            await trio.aclose_forcefully(stream)
            return
        await handle_connection(stream, app, limits)

    async with trio.open_nursery() as nursery:
        task_status.started(bound)
        await trio.serve_listeners(on_connection, listeners, handler_nursery=nursery)
