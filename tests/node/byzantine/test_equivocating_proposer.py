"""An equivocating proposer among four: both blocks on the wire, safety and liveness hold."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import trio
import trio.testing

from consensus.bft.events import ProposalMessage
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.transactions import Transfer
from node.byzantine.equivocator import EquivocatingProposer
from node.chain.gossip import MAX_PROPOSAL_GOSSIP, decode_gossip
from node.network.memory import MemoryHub
from node.network.values import TopicKind, get_topic_name
from tests.node.byzantine.network import (
    GossipRecorder,
    assert_same_chain,
    make_nodes,
    wait_for_height,
)

KEYS = make_keys(4, namespace=702)
GENESIS = make_devnet_genesis("eqnet", KEYS, time_ms=1_000)


def proposals_by_round(
    recorder: GossipRecorder, proposer: bytes
) -> dict[tuple[int, int], set[bytes]]:
    """The distinct blocks ``proposer`` proposed, by (height, round), as seen on the wire."""
    seen: dict[tuple[int, int], set[bytes]] = defaultdict(set)
    for data in recorder.messages:
        message = decode_gossip(ProposalMessage, data, MAX_PROPOSAL_GOSSIP)
        proposal = message.signed.proposal
        if proposal.proposer == proposer and message.signed.is_signature_valid("eqnet"):
            seen[(proposal.height, proposal.round)].add(message.block.hash)
    return seen


async def test_equivocating_proposer_among_four_keeps_safety_and_liveness(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    liar = EquivocatingProposer(KEYS[2], "eqnet")
    nodes = make_nodes(hub, KEYS, tmp_path, GENESIS, {2: liar})
    honest = [nodes[0], nodes[1], nodes[3]]
    recorder = GossipRecorder(hub, b"\x42" * 32, GENESIS, KEYS)
    async with trio.open_nursery() as nursery:
        await nursery.start(recorder.run, get_topic_name("eqnet", TopicKind.PROPOSALS))
        for node in nodes:
            await nursery.start(node.run)
        for nonce in range(3):  # transactions, so that the two blocks differ in content too
            tx = sign_transaction(KEYS[2], "eqnet", nonce, Transfer(KEYS[0].address, 1 + nonce))
            await nodes[2].submit_transaction(tx)
        with trio.fail_after(120):
            await wait_for_height(honest, 16)
        assert assert_same_chain(honest) >= 16
        assert assert_same_chain(nodes) >= 1  # the liar's own chain agrees where it has one
        equivocated = {
            at: hashes
            for at, hashes in proposals_by_round(recorder, KEYS[2].address).items()
            if len(hashes) == 2
        }
        assert liar.counts["second_proposal"] >= 3
        assert 3 <= len(equivocated) <= liar.counts["second_proposal"]
        for (height, round_), hashes in equivocated.items():
            finalized = honest[0].get_finalized(height)
            if finalized is None:
                continue  # the height still in progress
            if finalized.commit.round == round_:
                # decided in the equivocated round: it must be one of the liar's two blocks.
                # Decided in another round, it may still be one of them: a later proposer
                # re-proposes its valid value (Tendermint's validValue rule).
                assert finalized.block.hash in hashes
        balances = {n.get_chain_state().get_account(KEYS[0].address).balance for n in honest}
        assert len(balances) == 1
        nursery.cancel_scope.cancel()
