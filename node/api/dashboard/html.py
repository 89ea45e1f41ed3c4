"""HTML built so that escaping cannot be forgotten: text is escaped unless it is :class:`Html`.

``tag("td", moniker)`` escapes the moniker; ``tag("a", "x", href=url)`` escapes the attribute;
only this module (and string constants written in code) produce :class:`Html`. Anything read
from the chain (monikers, rule parameters, reasons, error messages) is plain ``str`` and comes
out as text, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import quote


class Html(str):
    """Markup that is already safe to embed."""

    __slots__ = ()


Content = Html | str | int | float | None | Iterable["Content"]

VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})


def escape(value: Content) -> Html:
    """``value`` as markup: Html as is, None as nothing, iterables joined, the rest escaped."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    if isinstance(value, str):
        return Html(html.escape(value, quote=True))
    if isinstance(value, int | float):
        return Html(html.escape(str(value)))
    return Html("".join(escape(item) for item in value))


def tag(name: str, /, *children: Content, **attrs: str | int | bool | None) -> Html:
    """``<name attrs>children</name>``; attribute ``class_`` is written ``class``, ``data_x``
    ``data-x``; a False or None attribute is left out, True is written bare."""
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{escape(str(value))}"')
    opening = f"<{' '.join(parts)}>"
    if name in VOID:
        return Html(opening)
    return Html(f"{opening}{escape(children)}</{name}>")


def link(href: str, text: Content, **attrs: str | int | bool | None) -> Html:
    return tag("a", text, href=href, **attrs)


def url_part(value: str | int) -> str:
    """A value made safe to put in a URL path or query."""
    return quote(str(value), safe="")


def table(headers: Iterable[str], rows: Iterable[Iterable[Content]], **attrs: str | None) -> Html:
    """A table with a header row; each cell is escaped unless it is Html."""
    head = tag("thead", tag("tr", [tag("th", h) for h in headers]))
    body = tag("tbody", [tag("tr", [tag("td", cell) for cell in row]) for row in rows])
    return tag("table", head, body, **attrs)


def definitions(items: Iterable[tuple[str, Content]]) -> Html:
    """A ``<dl>`` of name/value pairs."""
    return tag("dl", [(tag("dt", name), tag("dd", value)) for name, value in items])
