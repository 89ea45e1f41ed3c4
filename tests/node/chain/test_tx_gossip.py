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
from node.network.framing import ByteStream
from node.network.memory import MemoryHub
from node.network.memory_hub import HubMember
from node.network.peer_id import compute_peer_id
from node.network.values import PeerId, ProtocolKind, Verdict
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


class RecordingMember:
    """A hub member standing in front of a real node's: records each transaction it gets."""

    def __init__(self, inner: HubMember) -> None:
        self.inner = inner
        self.received: list[bytes] = []

    def is_refusing(self, peer: PeerId) -> bool:
        return self.inner.is_refusing(peer)

    def add_link(self, peer: PeerId) -> None:
        self.inner.add_link(peer)

    def drop_link(self, peer: PeerId) -> None:
        self.inner.drop_link(peer)

    def is_subscribed(self, topic: str) -> bool:
        return self.inner.is_subscribed(topic)

    def deliver(self, forwarder: PeerId, topic: str, data: bytes, origin: PeerId) -> None:
        if "/txs/" in topic:
            self.received.append(data)
        self.inner.deliver(forwarder, topic, data, origin)

    def accept_stream(self, peer: PeerId, kind: ProtocolKind) -> ByteStream:
        return self.inner.accept_stream(peer, kind)


async def test_a_resent_delta_leaves_its_payload_behind(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """Two of four validators: no quorum, so the delta waits in the mempool and is re-sent."""
    hub = MemoryHub(latency_s=0.005)
    nodes = [make_node(hub, k, tmp_path / f"n{i}", KEYS, GENESIS) for i, k in enumerate(KEYS[:2])]
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        peer = compute_peer_id(KEYS[1].seed)
        tap = RecordingMember(hub.nodes[peer])
        hub.nodes[peer] = tap
        await trio.sleep(1)  # connected and subscribed
        tx_hash = await submit(nodes[0], KEYS[0], 0, 0, 0)
        await trio.sleep(10)  # several re-send periods
        sent = [decode_tx_gossip(data) for data in tap.received]
        copies = [payload for stx, payload in sent if stx.hash == tx_hash]
        assert len(copies) >= 3 and copies[0] is not None  # the first carries the payload
        assert all(payload is None for payload in copies[1:])  # re-sends do not
        assert tx_hash in nodes[1].mempool
        nursery.cancel_scope.cancel()
