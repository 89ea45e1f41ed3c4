"""Every dashboard page against a live learning node on a real socket: what each shows, search,
pagination errors, live fragments, headers, and hostile strings from the chain and the URL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.api.cluster import ServedNode
from tests.node.api.dashboard.live import (
    HOSTILE,
    HOSTILE_MONIKER,
    KEY,
    Feeder,
    compute_accuracy,
    fetch_page,
    make_live_node,
)

VERSIONS = 3


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedNode, Feeder]]:
    feeder = Feeder(VERSIONS)
    home = tmp_path_factory.mktemp("dash")
    with ServedNode(home, make=make_live_node, extra=feeder.run) as node:
        deadline = time.monotonic() + 60
        while not feeder.done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feeder.done, "the live node made no model versions"
        time.sleep(0.3)  # the accuracy of the last version is recorded
        yield node, feeder


def get_ok(node: ServedNode, path: str) -> str:
    page = fetch_page(node.url, path)
    assert page.status == 200, (path, page.status, page.text[:300])
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    return page.text


def test_dashboard_network_page_shows_the_chain_and_loads_only_its_own_assets(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, _ = live
    text = get_ok(node, "/")
    assert text.startswith("<!doctype html>") and "Network dashnet" in text
    for heading in ("Validator set", "Next election", "Candidates", "Latest blocks", "Block time"):
        assert f"<h2>{heading}</h2>" in text
    assert KEY.address.hex()[:12] in text and "logreg-digits" in text
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources and all(s.startswith(("/", "#")) for s in sources), sources
    assert "<main data-live>" in text
    fragment = get_ok(node, "/?fragment=main")
    assert not fragment.startswith("<!doctype") and "Validator set" in fragment
    for asset in ("/ui/assets/dashboard.css", "/ui/assets/dashboard.js", "/ui/assets/icon.svg"):
        assert fetch_page(node.url, asset).status == 200


def test_dashboard_task_page_charts_every_version_with_its_accuracy(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, _ = live
    text = get_ok(node, "/ui/tasks/1")
    assert re.search(r'<svg class="chart"[^>]* data-points="(\d+)"', text).group(1) == "3"  # type: ignore[union-attr]
    assert text.count('class="point"') == VERSIONS
    for version in range(1, VERSIONS + 1):
        assert f">v{version}</a>" in text and f"{compute_accuracy(version):.4f}" in text
    assert "Trainers" in text and "rewards paid" in text
    assert "logreg-digits" in get_ok(node, "/ui/tasks")


def test_dashboard_version_and_audit_pages_show_every_check_verified(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, feeder = live
    version = get_ok(node, "/ui/tasks/1/models/2")
    assert feeder.delta_hashes[1].hex()[:12] in version and "accepted" in version
    audit = get_ok(node, "/ui/tasks/1/models/2/audit")
    assert 'data-verified="true"' in audit and "every check verified" in audit
    assert "re-run gives the same model" in audit and "✗" not in audit


def test_dashboard_block_and_transaction_pages(live: tuple[ServedNode, Feeder]) -> None:
    node, feeder = live
    tx = get_ok(node, f"/ui/txs/{feeder.transfer_hash.hex()}")
    assert "Transfer" in tx and feeder.transfer_hash.hex() in tx and "✓ verified" in tx
    height = int(re.search(r'href="/ui/blocks/(\d+)"', tx).group(1))  # type: ignore[union-attr]
    block = get_ok(node, f"/ui/blocks/{height}")
    assert feeder.transfer_hash.hex()[:12] in block and "precommits" in block
    assert "✓ verified" in block and "✗" not in block
    listing = get_ok(node, "/ui/blocks")
    assert f'href="/ui/blocks/{height}"' in listing or "older ›" in listing


def test_dashboard_account_page_shows_balances_rewards_and_transactions(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, feeder = live
    text = get_ok(node, f"/ui/accounts/{KEY.address.hex()}")
    assert "node0" in text and "delta rewards" in text and "blocks proposed" in text
    assert feeder.delta_hashes[0].hex()[:12] in text and "Candidate" in text
    unseen = get_ok(node, "/ui/accounts/" + "ab" * 32)
    assert "Votes for no candidate" in unseen


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("2", "/ui/blocks/2"),
        ("#1", "/ui/blocks/1"),
        ("node0", f"/ui/accounts/{KEY.address.hex()}"),
        (HOSTILE.address.hex().upper(), f"/ui/accounts/{HOSTILE.address.hex()}"),
    ],
)
def test_dashboard_search_redirects_to_what_it_finds(
    live: tuple[ServedNode, Feeder], query: str, target: str
) -> None:
    node, _ = live
    page = fetch_page(node.url, f"/ui/search?q={query.replace('#', '%23')}")
    assert page.status == 303 and page.headers["location"] == target


def test_dashboard_search_finds_transactions_and_says_when_nothing_matches(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, feeder = live
    page = fetch_page(node.url, f"/ui/search?q=0x{feeder.transfer_hash.hex()}")
    assert page.headers["location"] == f"/ui/txs/{feeder.transfer_hash.hex()}"
    missing = get_ok(node, "/ui/search?q=" + "cd" * 32)
    assert "Nothing on this chain matches" in missing
    assert fetch_page(node.url, "/ui/search?q=").headers["location"] == "/"


def test_dashboard_errors_are_html_pages_with_their_status(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, _ = live
    for path, status in (
        ("/ui/blocks/999999", 404),
        ("/ui/tasks/9", 404),
        ("/ui/tasks/1/models/99/audit", 404),
        ("/ui/blocks?before=x", 400),
        ("/ui/txs/zz", 400),
    ):
        page = fetch_page(node.url, path)
        assert page.status == status and page.text.startswith("<!doctype html>"), path
    assert fetch_page(node.url, "/nothing").headers["content-type"] == "application/json"
    head = fetch_page(node.url, "/", method="HEAD")
    assert head.status == 200 and head.text == ""


def test_dashboard_escapes_hostile_strings_from_the_chain_and_the_url(
    live: tuple[ServedNode, Feeder],
) -> None:
    node, _ = live
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&lt;b&gt;&quot;"
    for path in ("/", f"/ui/accounts/{HOSTILE.address.hex()}", "/ui/search?q=img"):
        text = get_ok(node, path)
        assert escaped in text and HOSTILE_MONIKER not in text, path
    reflected = fetch_page(node.url, "/ui/search?q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "<script>alert" not in reflected and "&lt;script&gt;alert(1)" in reflected
    error = fetch_page(node.url, "/ui/blocks?before=%3Cimg%3E")
    assert error.status == 400 and "<img>" not in error.text and "&lt;img&gt;" in error.text


def test_dashboard_pages_cannot_change_the_chain(tmp_path: Path) -> None:
    """No form posts, no method but GET in the table, no route that needs a token."""
    from node.api.dashboard.routes import DASHBOARD_ROUTES

    assert {r.method for r in DASHBOARD_ROUTES} == {"GET"}
    assert not any(r.needs_token for r in DASHBOARD_ROUTES)
