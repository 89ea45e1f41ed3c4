"""``GET /params``, ``GET``/``PUT /blobs/{hash}`` and ``next_nonce`` on a real node's store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from consensus.ledger.devnet import sign_transaction
from consensus.transactions import Transfer
from node.api import ApiApp, ApiLimits, request_in_memory
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.api.cluster import CHAIN_ID, KEYS, USER, make_node
from tests.node.api.test_api_node import check_shape

OCTET = ("content-type", "application/octet-stream")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    chain_node = make_node(MemoryHub(), KEYS[0], tmp_path / "n0", KEYS)
    yield chain_node
    chain_node.storage.close()


async def test_blob_put_then_get_returns_the_same_bytes(node: ChainNode) -> None:
    app = ApiApp(node)
    data = b"snapshot bytes " * 1000
    digest = hashlib.sha256(data).hexdigest()
    missing = await request_in_memory(app, "GET", f"/blobs/{digest}")
    assert missing.status == 404 and "not held" in missing.json()["message"]
    stored = await request_in_memory(app, "PUT", f"/blobs/{digest}", data, headers=[OCTET])
    assert stored.status == 200 and stored.json() == {"hash": digest, "size": len(data)}
    check_shape(stored.json(), "StoredBlob")
    fetched = await request_in_memory(app, "GET", f"/blobs/{digest}")
    assert fetched.status == 200 and fetched.body == data
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert node.storage.blobs.get(bytes.fromhex(digest)) == data


async def test_blob_put_refuses_wrong_hash_type_size_and_missing_token(node: ChainNode) -> None:
    app = ApiApp(node)
    data = b"payload"
    digest = hashlib.sha256(data).hexdigest()
    wrong = await request_in_memory(app, "PUT", f"/blobs/{'00' * 32}", data, headers=[OCTET])
    assert wrong.status == 400 and f"hashes to {digest}" in wrong.json()["message"]
    cbor = [("content-type", "application/cbor")]
    typed = await request_in_memory(app, "PUT", f"/blobs/{digest}", data, headers=cbor)
    assert typed.status == 415
    empty = await request_in_memory(app, "PUT", f"/blobs/{digest}", b"", headers=[OCTET])
    assert empty.status == 400
    small = ApiLimits(max_body_bytes=4, max_blob_bytes=len(data) - 1)
    big = await request_in_memory(
        app, "PUT", f"/blobs/{digest}", data, headers=[OCTET], limits=small
    )
    assert big.status == 413 and f"exceeds {len(data) - 1} bytes" in big.json()["message"]
    fits = ApiLimits(max_body_bytes=4, max_blob_bytes=len(data))
    ok = await request_in_memory(app, "PUT", f"/blobs/{digest}", data, headers=[OCTET], limits=fits)
    assert ok.status == 200
    guarded = ApiApp(node, token="secret", require_token=True)
    denied = await request_in_memory(guarded, "PUT", f"/blobs/{digest}", data, headers=[OCTET])
    assert denied.status == 401
    bearer = ("authorization", "Bearer secret")
    allowed = await request_in_memory(
        guarded, "PUT", f"/blobs/{digest}", data, headers=[OCTET, bearer]
    )
    assert allowed.status == 200
    assert not node.storage.blobs.has(bytes(32))


async def test_params_and_next_nonce_counting_the_mempool(node: ChainNode) -> None:
    app = ApiApp(node)
    params = await request_in_memory(app, "GET", "/params")
    assert params.status == 200
    check_shape(params.json(), "Params")
    assert params.json()["chain_id"] == CHAIN_ID and params.json()["params"]["min_fee"] == 1
    node.mempool.add(sign_transaction(USER, CHAIN_ID, 0, Transfer(KEYS[1].address, 5)))
    account = (await request_in_memory(app, "GET", f"/accounts/{USER.address.hex()}")).json()
    check_shape(account, "Account")
    assert account["nonce"] == 0 and account["next_nonce"] == 1
