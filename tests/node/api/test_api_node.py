"""Every route against a real 4-validator network on the memory transport (virtual clock)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import trio
import trio.testing

from consensus.encoding import encode
from consensus.ledger.devnet import sign_transaction
from consensus.transactions import Transfer
from node.api import ROUTES, ApiApp, request_in_memory
from node.api.memory import Reply
from node.api.schemas import SCHEMAS
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from node.storage.chain_store import Contribution, ModelRecord
from tests.node.api.cluster import CHAIN_ID, KEYS, SPEC, USER, make_node, wait_for_height

CBOR = ("content-type", "application/cbor")


def check_shape(obj: Any, schema_name: str) -> None:
    """The schema's required properties are present, recursively through $refs and arrays."""
    schema = SCHEMAS[schema_name]
    for name in schema.get("required", ()):
        assert name in obj, f"{schema_name} lacks {name}"
        prop = schema["properties"][name]
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref is None:
            continue
        values = obj[name] if "items" in prop else [obj[name]]
        for value in values:
            check_shape(value, ref.rsplit("/", 1)[1])


async def get_ok(app: ApiApp, path: str, schema: str) -> Any:
    reply = await request_in_memory(app, "GET", path)
    assert reply.status == 200, (path, reply.body)
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    check_shape(body, schema)
    return body


async def wait_final(app: ApiApp, tx_hash: str) -> Reply:
    while True:
        reply = await request_in_memory(app, "GET", f"/txs/{tx_hash}")
        if reply.status == 200:
            return reply
        assert reply.status == 404
        await trio.sleep(0.05)


def record_aggregation(node: ChainNode, tx_hash: bytes) -> None:
    """What the aggregation on finality stores (written to the node's real chain store)."""
    node.storage.store.save_model(ModelRecord(1, 1, b"\x33" * 32, 3, 0.875))
    row = Contribution(tx_hash, USER.address, 3, True, 100, "accepted")
    node.storage.store.save_contributions(1, 1, [row])


async def test_api_routes_on_a_four_node_network(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.002)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS) for i, k in enumerate(KEYS)]
    app = ApiApp(nodes[0])
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes[0], 2)

        transfer = sign_transaction(USER, CHAIN_ID, 0, Transfer(KEYS[1].address, 1234))
        reply = await request_in_memory(app, "POST", "/txs", encode(transfer), headers=[CBOR])
        assert reply.status == 202 and reply.json() == {"hash": transfer.hash.hex()}
        second = sign_transaction(USER, CHAIN_ID, 1, Transfer(KEYS[2].address, 5))
        body = json.dumps({"tx": encode(second).hex()}).encode()
        json_type = ("content-type", "application/json")
        reply = await request_in_memory(app, "POST", "/txs", body, headers=[json_type])
        assert reply.status == 202 and reply.json()["hash"] == second.hash.hex()
        again = await request_in_memory(app, "POST", "/txs", encode(transfer), headers=[CBOR])
        assert again.status == 422 and "mempool" in again.json()["message"]

        with trio.fail_after(60):
            found = (await wait_final(app, transfer.hash.hex())).json()
            await wait_final(app, second.hash.hex())
        check_shape(found, "LocatedTransaction")
        assert found["kind"] == "Transfer" and found["tx"]["kind"] == "Transfer"
        assert found["tx"]["body"] == {"recipient": KEYS[1].address.hex(), "amount": 1234}
        assert found["sender"] == USER.address.hex() and found["tx"]["nonce"] == 0

        block = await get_ok(app, f"/blocks/{found['height']}", "Block")
        assert transfer.hash.hex() in block["txs"]
        assert len(block["commit"]["signers"]) >= 3
        assert block["header"]["height"] == block["height"] == found["height"]
        latest = await get_ok(app, "/blocks/latest", "Block")
        assert latest["height"] >= found["height"]
        missing = await request_in_memory(app, "GET", f"/blocks/{latest['height'] + 1000}")
        assert missing.status == 404

        status = await get_ok(app, "/status", "Status")
        assert status["chain_id"] == CHAIN_ID and status["peers"] == 3
        assert status["is_validator"] and status["moniker"] == "api-test"
        assert status["models"] == {"1": 0}

        account = await get_ok(app, f"/accounts/{USER.address.hex()}", "Account")
        assert account["nonce"] == 2 and account["bonded"] == 0
        assert account["balance"] == 1_000_000_000 - 1234 - 5 - 2
        validator = await get_ok(app, f"/accounts/0x{KEYS[0].address.hex()}", "Account")
        assert validator["votes"] == [KEYS[0].address.hex()] and validator["bonded"] == 1_000_000

        validators = (await get_ok(app, "/validators", "Validators"))["validators"]
        assert sorted(v["address"] for v in validators) == sorted(k.address.hex() for k in KEYS)
        assert {v["power"] for v in validators} == {1_000_000}
        assert all(not v["jailed"] and v["moniker"].startswith("validator-") for v in validators)
        candidates = (await get_ok(app, "/candidates", "Candidates"))["candidates"]
        assert len(candidates) == 4 and all(c["is_validator"] for c in candidates)
        assert {c["backing"] for c in candidates} == {1_000_000}

        tasks = (await get_ok(app, "/tasks", "Tasks"))["tasks"]
        assert [t["task_id"] for t in tasks] == [1]
        task = await get_ok(app, "/tasks/1", "Task")
        assert task["spec"]["model_id"] == SPEC.model_id and task["pending"] == 0
        assert task["model_hash"] == SPEC.initial_model_hash.hex() and task["pool"] == 1_000
        assert (await request_in_memory(app, "GET", "/tasks/9")).status == 404

        record_aggregation(nodes[0], transfer.hash)
        models = await get_ok(app, "/tasks/1/models", "Models")
        assert models["models"] == [
            {
                "version": 1,
                "model_hash": "33" * 32,
                "height": 3,
                "accuracy": 0.875,
                "network_accuracy": None,  # no delta reported on version 1
                "reports": 0,
            }
        ]
        rows = await get_ok(app, "/tasks/1/models/1/contributions", "Contributions")
        assert rows["contributions"][0]["tx_hash"] == transfer.hash.hex()
        assert rows["contributions"][0]["accepted"] is True
        empty = await get_ok(app, "/tasks/1/models/7/contributions", "Contributions")
        assert empty["contributions"] == []

        metrics = await request_in_memory(app, "GET", "/metrics")
        assert metrics.status == 200 and metrics.headers["content-type"].startswith("text/plain")
        text = metrics.body.decode()
        assert "# TYPE deltachain_blocks_finalized_total counter" in text
        assert "# TYPE deltachain_height gauge" in text
        samples = [line for line in text.splitlines() if not line.startswith("#")]
        sample = re.compile(r'[a-z_]+(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? -?[0-9.e+-]+')
        assert samples and all(sample.fullmatch(line) for line in samples)
        assert any("{" in line for line in samples)  # labelled families: peers, reasons
        values = dict(line.rsplit(" ", 1) for line in samples)
        assert float(values["deltachain_blocks_finalized_total"]) >= 2
        assert values["deltachain_validators"] == "4"
        assert int(values["deltachain_api_requests_total"]) > 10

        document = await get_ok(app, "/openapi.json", "OpenApi")
        assert set(document["paths"]) == {r.template for r in ROUTES}
        nursery.cancel_scope.cancel()
