"""Byzantine behaviours as transformations of a validator's outgoing messages."""

from __future__ import annotations

import random

import pytest

from consensus.bft.events import ProposalMessage
from consensus.block import Block
from consensus.crypto import verify_signature
from consensus.ledger import build_block, compute_genesis_state
from consensus.messages import Proposal, SignedVote, Vote, VoteType
from node.sim import Policy
from node.sim.byzantine import Behaviour, make_behaviour
from node.sim.genesis import build_genesis
from node.sim.signer import Signer, derive_keypair

CHAIN_ID = "deltachain-sim"
PEERS = (1, 2, 3, 4, 5, 6)
KEYS = tuple(derive_keypair(0, i) for i in range(7))


def _behaviour(policy: Policy | None) -> Behaviour:
    signer = Signer(KEYS[0], guarded=policy is None)
    return make_behaviour(policy, signer, CHAIN_ID, PEERS, random.Random(0))


def _block() -> Block:
    chain = compute_genesis_state(build_genesis(KEYS, (), CHAIN_ID))
    return build_block(chain, (), KEYS[0].address, 1, None)


def _vote(block_hash: bytes | None) -> Vote:
    return Vote(VoteType.PREVOTE, 1, 0, block_hash, KEYS[0].address)


def test_honest_behaviour_sends_one_signed_vote_to_every_peer():
    out = _behaviour(None).on_vote(_vote(None))
    [sent] = out.outgoing
    assert sent.recipients == PEERS
    assert sent.message == out.own
    assert isinstance(out.own, SignedVote) and out.own.is_signature_valid(CHAIN_ID)


def test_halves_cover_every_peer_and_share_exactly_one_witness():
    behaviour = _behaviour(Policy.DOUBLE_VOTE)
    assert set(behaviour.half_a) | set(behaviour.half_b) == set(PEERS)
    assert len(set(behaviour.half_a) & set(behaviour.half_b)) == 1


def test_double_voter_signs_two_conflicting_valid_votes_for_the_two_halves():
    behaviour = _behaviour(Policy.DOUBLE_VOTE)
    for block_hash in (None, b"\x07" * 32):
        out = behaviour.on_vote(_vote(block_hash))
        first, second = (o.message for o in out.outgoing)
        assert isinstance(first, SignedVote) and isinstance(second, SignedVote)
        assert first.vote.block_hash == block_hash != second.vote.block_hash
        assert first.is_signature_valid(CHAIN_ID) and second.is_signature_valid(CHAIN_ID)
        assert [o.recipients for o in out.outgoing] == [behaviour.half_a, behaviour.half_b]


def test_equivocating_proposer_signs_two_different_blocks_for_its_round():
    block = _block()
    proposal = Proposal(1, 0, -1, block.hash, KEYS[0].address)
    out = _behaviour(Policy.EQUIVOCATE).on_proposal(proposal, block)
    first, second = (o.message for o in out.outgoing)
    assert isinstance(first, ProposalMessage) and isinstance(second, ProposalMessage)
    assert first.block.hash != second.block.hash
    assert second.signed.proposal.block_hash == second.block.hash
    assert first.signed.is_signature_valid(CHAIN_ID)
    assert second.signed.is_signature_valid(CHAIN_ID)
    assert out.own == first


def test_silent_validator_sends_nothing_but_still_signs_for_itself():
    behaviour = _behaviour(Policy.SILENT)
    out = behaviour.on_vote(_vote(None))
    assert out.outgoing == ()
    assert isinstance(out.own, SignedVote) and out.own.is_signature_valid(CHAIN_ID)
    assert not behaviour.is_sending()


def test_invalid_validator_sends_bad_signatures_and_blocks_that_do_not_match_the_state():
    behaviour = _behaviour(Policy.INVALID)
    [sent] = behaviour.on_vote(_vote(None)).outgoing
    assert isinstance(sent.message, SignedVote)
    assert not verify_signature(
        KEYS[0].address, sent.message.vote.sign_bytes(CHAIN_ID), sent.message.signature
    )
    block = _block()
    proposal = Proposal(1, 0, -1, block.hash, KEYS[0].address)
    out = behaviour.on_proposal(proposal, block)
    [bad] = out.outgoing
    assert isinstance(bad.message, ProposalMessage)
    assert bad.message.block.header.app_hash != block.header.app_hash
    assert bad.message.signed.is_signature_valid(CHAIN_ID)
    assert isinstance(out.own, ProposalMessage) and out.own.block == block


def test_fork_policy_needs_its_coalition():
    with pytest.raises(ValueError, match="Coalition"):
        _behaviour(Policy.FORK)
