"""The dashboard's stylesheet, script and icon, served by the node with a short cache life."""

from __future__ import annotations

from node.api.dashboard.assets import CSS, ICON, JS
from node.api.dashboard.layout import SECURITY_HEADERS
from node.api.request import Call, Response

CACHE = ("cache-control", "max-age=60")
_HEADERS = (*(h for h in SECURITY_HEADERS if h[0] != "cache-control"), CACHE)


async def get_css(call: Call) -> Response:
    return Response(200, CSS.encode(), "text/css; charset=utf-8", _HEADERS)


async def get_js(call: Call) -> Response:
    return Response(200, JS.encode(), "text/javascript; charset=utf-8", _HEADERS)


async def get_icon(call: Call) -> Response:
    return Response(200, ICON.encode(), "image/svg+xml", _HEADERS)
