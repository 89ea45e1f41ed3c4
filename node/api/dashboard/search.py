"""Search: a block height, a transaction or block hash, an address or a candidate's moniker.

A single match redirects to its page; otherwise a page says what was looked for and offers
what is close (monikers containing the text, the hash read as an address).
"""

from __future__ import annotations

import re

from node.api.dashboard import fmt
from node.api.dashboard.html import Html, link, tag
from node.api.dashboard.layout import query_value, redirect, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.request import Call, Response

HEX32 = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
HEIGHT = re.compile(r"#?([0-9]{1,18})")
MAX_MATCHES = 20


def find_target(src: Source, query: str) -> str | None:
    """The page ``query`` names without doubt, or None."""
    if match := HEIGHT.fullmatch(query):
        height = int(match.group(1))
        return f"/ui/blocks/{height}" if 1 <= height <= src.state.height else None
    if match := HEX32.fullmatch(query):
        value = bytes.fromhex(match.group(1))
        if src.view.find_transaction(value) is not None:
            return f"/ui/txs/{value.hex()}"
        if (block_height := src.index.find_block_height(value)) is not None:
            return f"/ui/blocks/{block_height}"
        if value in src.state.accounts or value in src.state.candidates:
            return f"/ui/accounts/{value.hex()}"
        return None
    named = [a for a, name in src.monikers.items() if name.lower() == query.lower()]
    return f"/ui/accounts/{named[0].hex()}" if len(named) == 1 else None


async def get_search(call: Call) -> Response:
    query = query_value(call, "q")[:200]
    if not query:
        return redirect("/")
    src = open_source(call.view)
    target = find_target(src, query)
    if target is not None:
        return redirect(target)
    content = (tag("h1", "Search"), tag("section", _near_matches(src, query), class_="panel"))
    return respond_page(call, "Search", content)


def _near_matches(src: Source, query: str) -> Html:
    said = tag("p", "Nothing on this chain matches ", tag("b", query), ".")
    items: list[Html] = []
    if match := HEX32.fullmatch(query):
        address = match.group(1).lower()
        items.append(
            tag(
                "li",
                "No final transaction or block has this hash (a transaction "
                "appears once a block that holds it is final). As an address: ",
                link(f"/ui/accounts/{address}", "an account the chain has not seen"),
            )
        )
    elif HEIGHT.fullmatch(query):
        items.append(tag("li", f"The chain is at height {src.state.height:,}."))
    needle = query.lower()
    named = sorted((name, a) for a, name in src.monikers.items() if needle in name.lower())
    for _, address in named[:MAX_MATCHES]:
        items.append(tag("li", "candidate ", fmt.address_link(address, src.monikers)))
    hint = tag(
        "p",
        "Search takes a block height, a transaction or block hash (64 hex "
        "digits), an address or a candidate's moniker.",
        class_="muted",
    )
    return Html(said + (tag("ul", items) if items else "") + hint)
