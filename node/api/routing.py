"""How a route is described and matched: its method, path template, parameters and handler.

A template is a path of literal segments and ``{name}`` parameters; each parameter has a kind
that says how its text is parsed. A literal segment wins over a parameter
(``/blocks/latest`` before ``/blocks/{height}``). The table itself is
:data:`node.api.routes.ROUTES`; these types live below it (and below the handlers and the
OpenAPI builder that read them), so describing a route never imports the handlers.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from node.api.body import parse_hex
from node.api.errors import BadRequestError, MethodNotAllowedError, NotFoundError
from node.api.request import JSON_TYPE, Call, Response

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
