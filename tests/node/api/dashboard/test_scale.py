"""The dashboard stays responsive on a long chain: 10,000 blocks and 1,000 model versions in the
store, every page answered within a bound and with a bounded size (pages read what they show,
never the whole chain)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from node.api import ApiApp, request_in_memory
from node.storage.chain_store import ChainStore
from tests.node.api.dashboard.big_store import StoreView, build_big_store
from tests.node.api.dashboard.live import KEY, USER

BLOCKS = 10_000
VERSIONS = 1_000
MAX_SECONDS = 1.0
"""Per page, on a shared 2-core machine (each measures 5 to 60 ms there)."""
MAX_BYTES = 150_000


@pytest.fixture(scope="module")
def big_view(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreView]:
    path = tmp_path_factory.mktemp("big") / "chain.db"
    state = build_big_store(path, BLOCKS, VERSIONS)
    store = ChainStore(path)
    yield StoreView(store, state)
    store.close()


PAGES = (
    "/",
    "/?fragment=main",
    "/ui/blocks",
    "/ui/blocks?before=5000",
    "/ui/blocks?before=2",
    f"/ui/blocks/{BLOCKS}",
    "/ui/blocks/1",
    "/ui/tasks",
    "/ui/tasks/1",
    "/ui/tasks/1?before=500",
    f"/ui/tasks/1/models/{VERSIONS}",
    "/ui/tasks/1/models/1",
    f"/ui/accounts/{KEY.address.hex()}",
    f"/ui/accounts/{USER.address.hex()}",
    f"/ui/accounts/{USER.address.hex()}?before=5000",
    "/ui/search?q=5000",
    "/ui/search?q=node0",
)


@pytest.mark.parametrize("path", PAGES)
async def test_dashboard_pages_stay_fast_and_small_on_a_long_chain(
    big_view: StoreView, path: str
) -> None:
    app = ApiApp(big_view)
    started = time.perf_counter()
    reply = await request_in_memory(app, "GET", path)
    elapsed = time.perf_counter() - started
    assert reply.status in (200, 303), (path, reply.body[:300])
    assert elapsed < MAX_SECONDS, f"{path} took {elapsed:.3f} s"
    assert len(reply.body) < MAX_BYTES, f"{path} is {len(reply.body)} bytes"


async def test_dashboard_long_chain_pages_show_the_newest_and_page_back(
    big_view: StoreView,
) -> None:
    app = ApiApp(big_view)
    blocks = (await request_in_memory(app, "GET", "/ui/blocks")).body.decode()
    assert f'href="/ui/blocks/{BLOCKS}"' in blocks and "/ui/blocks?before=9976" in blocks
    assert f'href="/ui/blocks/{BLOCKS - 25}"' not in blocks
    task = (await request_in_memory(app, "GET", "/ui/tasks/1")).body.decode()
    assert f">v{VERSIONS}</a>" in task and f">v{VERSIONS - 20}</a>" not in task
    assert f'data-points="{VERSIONS}"' in task and "/ui/tasks/1?before=981" in task
    account = (await request_in_memory(app, "GET", f"/ui/accounts/{USER.address.hex()}")).body
    assert account.count(b'href="/ui/txs/') == 25 and b"older" in account
