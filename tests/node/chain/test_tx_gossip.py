"""A small delta payload travels with its transaction: no node fetches it, and a payload that is
not the one the delta names is provably bad gossip."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import trio
import trio.testing

from consensus.errors import DecodeError
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import ModelDelta, SignedTransaction, Transfer
from node.chain.gossip import (
    MAX_INLINE_PAYLOAD,
    GossipValidators,
    decode_tx_gossip,
    encode_gossip,
    encode_tx_gossip,
)
from node.network.memory import MemoryHub
from node.network.values import Verdict
from node.storage.blobs import BlobStore
from tests.node.chain.test_chain_node import make_node, wait_for_height
from tests.node.learning.test_buffered_versions import GENESIS, KEYS, SNAPSHOT, submit

SENDER = make_keys(1, namespace=93)[0]
PAYLOAD = b"a delta payload" * 10


def delta_tx(payload: bytes, size: int | None = None) -> SignedTransaction:
    body = ModelDelta(1, 0, hashlib.sha256(payload).digest(), size or len(payload), 10)
    return sign_transaction(SENDER, "learnnet", 0, body)


def test_a_delta_and_its_payload_round_trip_and_plain_transactions_still_decode() -> None:
    stx = delta_tx(PAYLOAD)
    assert decode_tx_gossip(encode_tx_gossip(stx, PAYLOAD, 4)) == (stx, PAYLOAD)
    transfer = sign_transaction(SENDER, "learnnet", 0, Transfer(SENDER.address, 1))
    assert decode_tx_gossip(encode_gossip(transfer, 2)) == (transfer, None)
    big = b"x" * (MAX_INLINE_PAYLOAD + 1)
    assert decode_tx_gossip(encode_tx_gossip(delta_tx(big), big)) == (delta_tx(big), None)


@pytest.mark.parametrize(
    "make",
    [
        lambda: encode_gossip([0, delta_tx(PAYLOAD), b"another payload"]),  # not its payload
        lambda: encode_gossip([0, delta_tx(PAYLOAD, 9), PAYLOAD]),  # size differs
        lambda: encode_gossip(  # a transfer with a payload
            [0, sign_transaction(SENDER, "learnnet", 0, Transfer(SENDER.address, 1)), PAYLOAD]
        ),
        lambda: encode_gossip([0, delta_tx(PAYLOAD), "text"]),
        lambda: encode_gossip([0, delta_tx(PAYLOAD), PAYLOAD, PAYLOAD]),
    ],
)
def test_a_payload_that_is_not_the_deltas_is_rejected(make: object) -> None:
    data = make()  # type: ignore[operator]
    with pytest.raises(DecodeError):
        decode_tx_gossip(data)
    validators = GossipValidators(lambda: None)  # type: ignore[arg-type,return-value]
    assert validators.validate_tx("peer", data) is Verdict.REJECT


async def test_deltas_gossiped_with_their_payload_need_no_fetch(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    homes = [tmp_path / f"n{i}" for i in range(4)]
    for home in homes:  # every node holds the initial model: only delta payloads could be fetched
        BlobStore(home / "blobs").put(SNAPSHOT)
    nodes = [make_node(hub, k, homes[i], KEYS, GENESIS) for i, k in enumerate(KEYS)]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(60):
            await wait_for_height(nodes, 2)
            for index in range(3):
                await submit(nodes[index], KEYS[index], index, 0, 0)
            while min(n.get_chain_state().tasks[1].version for n in nodes) < 1:
                await trio.sleep(0.05)
        fetches = [n.get_metrics()["deltachain_payload_fetches_total"] for n in nodes]
        assert fetches == [0, 0, 0, 0]
        nursery.cancel_scope.cancel()
