"""The page shell (header, search, live status bar, footer), HTML responses and their headers.

Every dashboard response carries a Content-Security-Policy that lets a page load only what this
node serves (no inline script, no other origin, forms only to this node), so a string from the
chain that slipped past escaping still could not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import parse_qs

from node.api.dashboard import fmt
from node.api.dashboard.html import Content, Html, escape, link, tag
from node.api.errors import ApiError, BadRequestError
from node.api.request import Call, Response
from node.chain.view import NodeView, StatusReport

HTML_TYPE = "text/html; charset=utf-8"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
)
NAV = (("/", "Network"), ("/ui/blocks", "Blocks"), ("/ui/tasks", "Tasks"))

PageHandler = Callable[[Call], Awaitable[Response]]


def html_response(body: Html, status: int = 200) -> Response:
    return Response(status, body.encode(), HTML_TYPE, SECURITY_HEADERS)


def redirect(location: str) -> Response:
    return Response(303, b"", HTML_TYPE, (*SECURITY_HEADERS, ("location", location)))


def respond_page(call: Call, title: str, *content: Content, live: bool = False) -> Response:
    """The page, or with ``?fragment=main`` only its content: what the script reloads into a
    ``live`` page's ``<main>`` when the chain moves on."""
    if query_value(call, "fragment") == "main":
        return html_response(escape(content))
    return html_response(render_page(call.view.get_status(), title, *content, live=live))


def render_page(status: StatusReport, title: str, *content: Content, live: bool = False) -> Html:
    """A whole document: the shell around ``content``."""
    head = tag(
        "head",
        tag("meta", charset="utf-8"),
        tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
        tag("title", f"{title} · {status.moniker or 'node'} · Deltachain"),
        tag("link", rel="icon", href="/ui/assets/icon.svg", type="image/svg+xml"),
        tag("link", rel="stylesheet", href="/ui/assets/dashboard.css"),
        tag("script", src="/ui/assets/dashboard.js", defer=True),
    )
    body = tag(
        "body",
        _header(),
        _status_bar(status),
        tag("main", content, data_live=live),
        _footer(status),
    )
    return Html(f"<!doctype html>\n{tag('html', head, body, lang='en')}")


def _header() -> Html:
    search = tag(
        "form",
        tag(
            "input",
            name="q",
            type="search",
            placeholder="block height, tx hash, address or moniker",
            aria_label="Search",
            required=True,
        ),
        tag("button", "Search", type="submit"),
        action="/ui/search",
        method="get",
        role="search",
    )
    nav = tag("nav", [link(href, text) for href, text in NAV])
    return tag("header", link("/", "Δ Deltachain", class_="brand"), nav, search, class_="top")


def _status_bar(status: StatusReport) -> Html:
    def item(label: str, name: str, value: Content) -> Html:
        return tag("span", f"{label} ", tag("b", value, data_status=name))

    return tag(
        "div",
        tag("span", tag("span", class_="live-dot"), tag("span", "connecting", data_status="live")),
        tag("span", "chain ", tag("b", status.chain_id)),
        tag("span", "node ", tag("b", status.moniker or status.peer_id[:12])),
        item("height", "height", f"{status.height:,}"),
        item("round", "round", status.round),
        item("step", "step", status.step),
        item("peers", "peers", status.peers),
        item("mempool", "mempool", status.mempool_txs),
        item("finality p50", "p50", fmt.duration_ms(status.finality_p50_ms)),
        item("p99", "p99", fmt.duration_ms(status.finality_p99_ms)),
        tag("span", "latest block ", fmt.time_ms(status.latest_block_time_ms, "latest")),
        class_="statusbar",
    )


def _footer(status: StatusReport) -> Html:
    return tag(
        "footer",
        "A read-only view of this node's chain; nothing here can change it. Data: ",
        link("/openapi.json", "HTTP API"),
        " · ",
        link("/metrics", "metrics"),
        f" · peer {status.peer_id}",
    )


def panel(title: str, *content: Content, id_: str | None = None) -> Html:
    """A titled box of the page."""
    return tag("section", tag("h2", title), content, class_="panel", id=id_)


def html_errors(handler: PageHandler) -> PageHandler:
    """Answer an ApiError from ``handler`` with an HTML page of its status."""

    @wraps(handler)
    async def page(call: Call) -> Response:
        try:
            return await handler(call)
        except ApiError as exc:
            return error_page(call.view, exc)

    return page


def error_page(view: NodeView, exc: ApiError) -> Response:
    """An HTML page saying what went wrong, with the error's status."""
    title = "Not found" if exc.status == 404 else f"Error {exc.status}"
    body = (tag("h1", title), tag("p", exc.message), tag("p", link("/", "Back to the network")))
    return html_response(render_page(view.get_status(), title, body), exc.status)


def is_page_path(path: str) -> bool:
    """Whether ``path`` is the dashboard's (errors there are answered as pages)."""
    return path == "/" or path.startswith("/ui/")


def query_value(call: Call, name: str) -> str:
    """The first value of query parameter ``name`` ('' when absent)."""
    try:
        values = parse_qs(call.request.query, max_num_fields=20).get(name, [""])
    except ValueError:
        raise BadRequestError("too many query parameters") from None
    return values[0].strip()


def query_int(call: Call, name: str, default: int) -> int:
    """A non-negative integer query parameter; BadRequestError for anything else."""
    text = query_value(call, name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadRequestError(f"{name} must be a non-negative integer, got {text[:40]!r}")
    return int(text)
