"""Property: whatever the path values, the app answers with a client error or success, never a
500 (a 500 means a handler let a bad value reach the node)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from node.api import ROUTES, ApiApp
from node.api.request import Request
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.api.cluster import KEYS, make_node

SEGMENT = st.one_of(
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.integers(min_value=2**62, max_value=2**65).map(str),  # around the storage's int range
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64]).map(str),
    st.binary(min_size=0, max_size=40).map(bytes.hex),
    st.text(st.characters(codec="ascii", exclude_characters="/?#"), max_size=30),
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainNode]:
    chain_node = make_node(MemoryHub(), KEYS[0], tmp_path_factory.mktemp("fuzz"), KEYS)
    yield chain_node
    chain_node.storage.close()


@st.composite
def paths(draw: st.DrawFn) -> tuple[str, str]:
    route = draw(st.sampled_from([r for r in ROUTES if r.params] * 3 + list(ROUTES)))
    path = re.sub(r"\{\w+\}", lambda _: draw(SEGMENT), route.template)
    return draw(st.sampled_from([route.method] * 4 + ["HEAD", "DELETE"])), path


@settings(max_examples=300, deadline=None)
@given(call=paths(), body=st.binary(max_size=64))
def test_app_never_answers_500_to_path_values(
    node: ChainNode, call: tuple[str, str], body: bytes
) -> None:
    method, path = call
    app = ApiApp(node)
    headers = {"content-type": "application/cbor"}
    response = trio.run(app.respond, Request(method, path, headers, body))
    assert response.status in {200, 400, 404, 405, 415, 422}, (method, path, response.body)
