"""Blocks: the newest ones (live), pages of older ones, and one block with its transactions and
its commit's signatures (each checked against the validator set of that height)."""

from __future__ import annotations

from consensus.block import Commit, CommitSig, FinalizedBlock
from consensus.crypto import verify_signature
from consensus.transactions import SignedTransaction
from node.api.dashboard import fmt
from node.api.dashboard.html import Html, definitions, link, table, tag
from node.api.dashboard.layout import panel, query_int, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.dashboard.txs import describe_body
from node.api.errors import NotFoundError
from node.api.request import Call, Response
from node.storage.chain_index import BlockSummary

PAGE_SIZE = 25
LATEST = 10


def render_block_rows(src: Source, summaries: list[BlockSummary]) -> Html:
    rows = [
        (
            fmt.block_link(b.height),
            link(f"/ui/blocks/{b.height}", fmt.short_hex(b.hash), class_="hex"),
            fmt.time_ms(b.time_ms),
            b.tx_count,
            b.round,
            fmt.address_link(b.proposer, src.monikers),
        )
        for b in summaries
    ]
    if not rows:
        return tag("p", "No final block yet.", class_="empty")
    return table(("height", "hash", "time", "txs", "round", "proposer"), rows, class_="blocks")


def render_latest_blocks(src: Source, count: int = LATEST) -> Html:
    height = src.state.height
    return render_block_rows(src, src.index.get_block_summaries(max(1, height - count + 1), height))


async def get_blocks(call: Call) -> Response:
    src = open_source(call.view)
    top = min(query_int(call, "before", src.state.height + 1) - 1, src.state.height)
    summaries = src.index.get_block_summaries(max(1, top - PAGE_SIZE + 1), top)
    content = (
        tag("h1", "Blocks"),
        tag(
            "section",
            render_block_rows(src, summaries),
            _pager(top, src.state.height),
            class_="panel",
        ),
    )
    return respond_page(call, "Blocks", content, live=top == src.state.height)


def _pager(top: int, height: int) -> Html:
    links = []
    if top < height:
        links.append(link("/ui/blocks", "« newest"))
        links.append(link(f"/ui/blocks?before={min(height, top + PAGE_SIZE) + 1}", "‹ newer"))
    if top - PAGE_SIZE >= 1:
        links.append(link(f"/ui/blocks?before={top - PAGE_SIZE + 1}", "older ›"))
    return tag("div", links, class_="pager")


async def get_block(call: Call) -> Response:
    height: int = call.params["height"]
    finalized = call.view.get_finalized(height)
    if finalized is None:
        raise NotFoundError(f"no final block at height {height}")
    src = open_source(call.view)
    content = (
        tag("h1", f"Block {height:,}"),
        tag("section", _header_fields(src, finalized), class_="panel"),
        panel(f"Transactions ({len(finalized.block.txs)})", _tx_table(src, finalized.block.txs)),
        panel("Commit", _commit(src, finalized)),
        _neighbours(height, src.state.height),
    )
    return respond_page(call, f"Block {height}", content)


def _header_fields(src: Source, finalized: FinalizedBlock) -> Html:
    block, header = finalized.block, finalized.block.header
    return definitions(
        (
            ("hash", fmt.full_hex(block.hash)),
            ("time", fmt.time_ms(header.time_ms)),
            ("proposer", fmt.address_link(header.proposer, src.monikers, full=True)),
            ("decided in round", str(finalized.commit.round)),
            ("parent", fmt.full_hex(header.parent_hash)),
            ("transactions hash", fmt.full_hex(header.txs_hash)),
            ("app hash", fmt.full_hex(header.app_hash)),
            ("validators hash", fmt.full_hex(header.validators_hash)),
        )
    )


def _tx_table(src: Source, txs: tuple[SignedTransaction, ...]) -> Html:
    rows = [
        (
            i,
            fmt.tx_link(stx.hash),
            type(stx.tx.body).__name__,
            fmt.address_link(stx.tx.sender, src.monikers),
            describe_body(stx, src.monikers),
        )
        for i, stx in enumerate(txs)
    ]
    if not rows:
        return tag("p", "No transactions in this block.", class_="empty")
    return table(("#", "hash", "kind", "sender", "what"), rows)


def _commit(src: Source, finalized: FinalizedBlock) -> Html:
    commit = finalized.commit
    valset = src.view.get_validator_set(commit.height)
    rows = []
    for sig in commit.signatures:
        power = valset.get_power(sig.validator) if valset is not None else 0
        ok = power > 0 and _is_signature_valid(commit, sig, src.state.chain_id)
        rows.append(
            (
                fmt.address_link(sig.validator, src.monikers),
                f"{power:,}",
                tag("span", fmt.short_hex(sig.signature), class_="hex"),
                fmt.mark(ok),
            )
        )
    total = valset.total_power if valset is not None else 0
    signed = sum(valset.get_power(s.validator) for s in commit.signatures) if valset else 0
    summary = tag(
        "p",
        f"{len(commit.signatures)} precommits for this block in round "
        f"{commit.round}, holding {signed:,} of {total:,} voting power.",
    )
    return Html(summary + table(("validator", "power", "signature", "signature check"), rows))


def _is_signature_valid(commit: Commit, sig: CommitSig, chain_id: str) -> bool:
    """Whether ``sig`` is its validator's precommit for this block (as verify_commit checks)."""
    sign_bytes = commit.vote_of(sig).sign_bytes(chain_id)
    return verify_signature(sig.validator, sign_bytes, sig.signature)


def _neighbours(height: int, top: int) -> Html:
    links = []
    if height > 1:
        links.append(link(f"/ui/blocks/{height - 1}", f"‹ block {height - 1:,}"))
    if height < top:
        links.append(link(f"/ui/blocks/{height + 1}", f"block {height + 1:,} ›"))
    return tag("div", links, class_="pager")
