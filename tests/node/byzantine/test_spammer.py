"""A spammer among four: every kind of invalid transaction is refused, the spammer banned."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing

from consensus.bft.state import new_consensus_state
from consensus.ledger import process_transaction
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.ledger.genesis import compute_genesis_state
from consensus.transactions import SignedTransaction, Transfer
from node.byzantine.errors import ByzantineError
from node.byzantine.spam import SPAM_KINDS, SpamKind, make_spam
from node.byzantine.spammer import Spammer
from node.chain.chain_node import ChainNode
from node.chain.gossip import MAX_TX_GOSSIP, GossipValidators, decode_gossip
from node.chain.mempool import Mempool, MempoolError
from node.network.memory import MemoryHub
from node.network.peer_id import compute_peer_id
from node.network.values import Verdict
from tests.node.byzantine.network import assert_same_chain, make_nodes, wait_for_height

KEYS = make_keys(4, namespace=704)
GENESIS = make_devnet_genesis("spamnet", KEYS, time_ms=1_000)
CHAIN = compute_genesis_state(GENESIS)


@pytest.mark.parametrize("kind", SPAM_KINDS)
def test_spam_every_kind_is_refused_by_gossip_validation_or_mempool(kind: SpamKind) -> None:
    validators = GossipValidators(lambda: new_consensus_state(CHAIN, None))
    data = make_spam(kind, 7, KEYS[3], "spamnet", 0)
    verdict = validators.validate_tx("peer", data)
    if kind is not SpamKind.BAD_NONCE:
        assert verdict is Verdict.REJECT  # and the forwarder's score drops
        return
    assert verdict is Verdict.ACCEPT  # a nonce gap may close later: the mempool refuses it
    stx = decode_gossip(SignedTransaction, data, MAX_TX_GOSSIP)
    with pytest.raises(MempoolError, match="invalid transaction"):
        Mempool(CHAIN, process_transaction).add(stx)


def test_spam_messages_are_unique_and_fit_gossip() -> None:
    messages = [make_spam(k, i, KEYS[3], "spamnet", 0) for i in range(10) for k in SPAM_KINDS]
    assert len(set(messages)) == len(messages)
    assert max(len(m) for m in messages) < 63 * 1024


def test_spammer_rate_is_checked() -> None:
    for rate in (0.0, -1.0, 1e9):
        with pytest.raises(ByzantineError, match="spam rate"):
            Spammer(KEYS[3], "spamnet", rate)


def pooled(node: ChainNode) -> tuple[SignedTransaction, ...]:
    return node.mempool.reap(10_000, 1 << 30)


async def test_spammer_among_four_is_banned_and_the_chain_goes_on(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    liar = Spammer(KEYS[3], "spamnet", 20.0)
    nodes = make_nodes(hub, KEYS, tmp_path, GENESIS, {3: liar})
    honest, liar_peer = nodes[:3], compute_peer_id(KEYS[3].seed)
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        await nursery.start(liar.run, nodes[3])
        transfer = sign_transaction(KEYS[0], "spamnet", 0, Transfer(KEYS[1].address, 5))
        await nodes[0].submit_transaction(transfer)
        with trio.fail_after(120):
            await wait_for_height(honest, 10)
        assert all(liar.counts[kind.value] >= 2 for kind in SPAM_KINDS)
        assert assert_same_chain(honest) >= 10
        for node in honest:
            assert node.network.is_banned(liar_peer)
            assert all(s.tx.sender != KEYS[3].address for s in pooled(node))
            assert node.find_transaction(transfer.hash) is not None
        nursery.cancel_scope.cancel()
