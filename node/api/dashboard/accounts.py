"""One account: balance, bonded and unbonding stake, whom it delegates to, what it earned
(delta rewards, blocks proposed), its candidacy if any, and its transactions (paged)."""

from __future__ import annotations

from consensus.ledger import compute_backing, compute_shares
from consensus.state import Account
from node.api.dashboard import fmt
from node.api.dashboard.html import Html, definitions, link, table, tag
from node.api.dashboard.layout import panel, query_int, respond_page
from node.api.dashboard.source import Source, open_source
from node.api.dashboard.validators import describe_standing
from node.api.request import Call, Response

PAGE_SIZE = 25
TOP_DELEGATORS = 20


async def get_account(call: Call) -> Response:
    address: bytes = call.params["address"]
    src = open_source(call.view)
    account = src.state.get_account(address)
    moniker = src.monikers.get(address, "")
    before = query_int(call, "before", src.state.height + 1)
    content = (
        tag("h1", "Account ", tag("span", moniker, class_="moniker") if moniker else ""),
        panel("Balances", _balances(src, address, account)),
        panel("Earned", _earned(src, address)),
        panel("Delegations", _delegations(src, account)),
        _candidacy(src, address),
        panel("Transactions sent", _transactions(src, address, before)),
    )
    return respond_page(call, "Account", content, live=before > src.state.height)


def _balances(src: Source, address: bytes, account: Account) -> Html:
    unbonding = [
        f"{fmt.amount(e.amount)} free at block {e.release_height:,}" for e in account.unbonding
    ]
    return definitions(
        (
            ("address", fmt.full_hex(address)),
            ("balance", fmt.amount(account.balance)),
            ("bonded", fmt.amount(account.bonded)),
            ("unbonding", "; ".join(unbonding) or "none"),
            ("nonce", str(account.nonce)),
            ("next nonce (with mempool)", str(src.view.get_next_nonce(address))),
        )
    )


def _earned(src: Source, address: bytes) -> Html:
    totals = src.index.get_sender_totals(address)
    proposed = src.index.count_blocks_proposed(address)
    reward = src.state.params.block_reward
    return definitions(
        (
            ("delta rewards", fmt.amount(totals.reward)),
            (
                "deltas counted",
                f"{totals.deltas:,} ({totals.accepted:,} accepted, "
                f"{totals.deltas - totals.accepted:,} rejected)",
            ),
            (
                "blocks proposed",
                f"{proposed:,} (block rewards {fmt.amount(proposed * reward)} "
                "plus the fees of their transactions)",
            ),
        )
    )


def _delegations(src: Source, account: Account) -> Html:
    shares = compute_shares(account)
    if not account.votes:
        return tag("p", "Votes for no candidate.", class_="empty")
    rows = [
        (fmt.address_link(c, src.monikers), fmt.amount(shares.get(c, 0))) for c in account.votes
    ]
    note = tag("p", "Bonded stake is split equally among the candidates voted for.", class_="muted")
    return Html(table(("candidate", "stake backing it"), rows) + note)


def _candidacy(src: Source, address: bytes) -> Html:
    candidate = src.state.candidates.get(address)
    if candidate is None:
        return Html("")
    backers = sorted(
        ((a, compute_shares(acc).get(address, 0)) for a, acc in src.state.accounts.items()),
        key=lambda item: -item[1],
    )
    backers = [(a, s) for a, s in backers if s > 0]
    rows = [(fmt.address_link(a, src.monikers), fmt.amount(s)) for a, s in backers[:TOP_DELEGATORS]]
    fields = definitions(
        (
            ("moniker", candidate.moniker),
            ("backing", fmt.amount(compute_backing(src.state.accounts.values()).get(address, 0))),
            ("voting power", fmt.amount(src.state.validators.get_power(address))),
            ("standing", describe_standing(candidate, src.state)),
            ("delegators", f"{len(backers):,}"),
        )
    )
    shown = table(("delegator", "stake"), rows) if rows else Html("")
    return panel("Candidate", Html(fields + shown))


def _transactions(src: Source, address: bytes, before: int) -> Html:
    found = src.index.find_txs_by_sender(address, before, PAGE_SIZE + 1)
    page = found[:PAGE_SIZE]
    has_older = len(found) > PAGE_SIZE
    if has_older and found[PAGE_SIZE][1].height == page[-1][1].height:
        cut = page[-1][1].height  # the next page starts with this height, whole
        page = [row for row in page if row[1].height != cut] or page
    if not page:
        return tag("p", "No transaction from this account.", class_="empty")
    rows = [(fmt.tx_link(h), loc.kind, fmt.block_link(loc.height)) for h, loc in page]
    base = f"/ui/accounts/{address.hex()}"
    pager = [link(base, "« newest")] if before <= src.state.height else []
    if has_older:
        pager.append(link(f"{base}?before={page[-1][1].height}", "older ›"))
    return Html(table(("transaction", "kind", "block"), rows) + tag("div", pager, class_="pager"))
