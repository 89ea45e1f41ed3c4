"""A double-signing validator among four: evidence, slashing, tombstone, the chain goes on."""

from __future__ import annotations

from pathlib import Path

import trio
import trio.testing

from consensus.ledger.devnet import make_devnet_genesis, make_keys
from consensus.messages import SignedVote, Vote, VoteType
from consensus.transactions import DoubleSignEvidence
from node.byzantine.double_signer import DoubleSigner, make_conflicting_vote
from node.chain.chain_node import ChainNode
from node.network.memory import MemoryHub
from tests.node.byzantine.network import assert_same_chain, make_nodes, wait_for_height

KEYS = make_keys(4, namespace=701)
STAKE = 1_000_000
GENESIS = make_devnet_genesis("dsnet", KEYS, stake=STAKE, time_ms=1_000)


def test_double_signer_conflicting_vote_differs_in_value_only() -> None:
    voter = KEYS[3].address
    for block_hash in (b"\x01" * 32, None):
        vote = Vote(VoteType.PRECOMMIT, 5, 1, block_hash, voter)
        other = make_conflicting_vote(vote)
        assert other.block_hash != vote.block_hash
        assert (other.vote_type, other.height, other.round, other.validator) == (
            vote.vote_type,
            vote.height,
            vote.round,
            vote.validator,
        )
    signed = DoubleSigner(KEYS[3], "dsnet").sign_conflicting(
        SignedVote(Vote(VoteType.PREVOTE, 2, 0, None, voter), b"\x00" * 64)
    )
    assert signed.is_signature_valid("dsnet")


def find_evidence(node: ChainNode) -> list[tuple[int, DoubleSignEvidence]]:
    found = []
    for height in range(1, node.get_chain_state().height + 1):
        finalized = node.get_finalized(height)
        assert finalized is not None
        for stx in finalized.block.txs:
            if isinstance(stx.tx.body, DoubleSignEvidence):
                found.append((height, stx.tx.body))
    return found


async def test_double_signer_among_four_is_slashed_and_the_rest_keep_finalizing(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    hub = MemoryHub(latency_s=0.005)
    liar = DoubleSigner(KEYS[3], "dsnet")
    nodes = make_nodes(hub, KEYS, tmp_path, GENESIS, {3: liar})
    honest, offender = nodes[:3], KEYS[3].address
    async with trio.open_nursery() as nursery:
        for node in nodes:
            await nursery.start(node.run)
        with trio.fail_after(120):
            while any(offender in n.get_state().validators for n in honest):
                await trio.sleep(0.05)
            ousted_at = max(n.get_chain_state().height for n in honest)
            await wait_for_height(honest, ousted_at + 5)
        check_slashed(honest, liar)
        assert assert_same_chain(honest) >= ousted_at + 5
        nursery.cancel_scope.cancel()


def check_slashed(honest: list[ChainNode], liar: DoubleSigner) -> None:
    offender = liar.key.address
    assert liar.counts["conflicting_prevote"] > 0 and liar.counts["conflicting_precommit"] > 0
    for node in honest:
        chain = node.get_chain_state()
        assert chain.candidates[offender].tombstoned
        assert chain.get_account(offender).bonded == STAKE * 95 // 100
        assert len(chain.validators) == 3
        assert all(chain.get_account(k.address).bonded == STAKE for k in KEYS[:3])
    evidence = find_evidence(honest[0])
    assert len(evidence) == 1 and evidence[0][1].vote_a.vote.validator == offender
