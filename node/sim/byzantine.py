"""Node behaviours: how a validator turns what its engine signs into messages on the wire.

The engine of every node is the real, honest one. A behaviour only transforms the node's
outgoing messages, which is exactly how much a Byzantine validator controls:

- honest: sign once, send to every peer;
- equivocate: for each proposal sign a second block too; half of the peers get each;
- double-vote: for each vote sign a conflicting one (another block or nil); half get each;
- silent: send nothing (votes, proposals, relays, sync answers);
- invalid: propose blocks whose header does not follow from the state, and send votes with
  corrupted signatures.

The "halves" overlap in one peer (the witness) that receives both conflicting messages, as
gossip relaying would eventually do, so that evidence of double signing can be found.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from consensus.bft.events import ProposalMessage
from consensus.bft.votes import get_vote_sign_bytes
from consensus.block import Block
from consensus.crypto import compute_hash
from consensus.messages import Proposal, SignedProposal, SignedVote, Vote
from node.sim.config import Policy
from node.sim.events import WireMessage
from node.sim.signer import Signer


@dataclass(frozen=True)
class Outgoing:
    """``message`` for each of ``recipients``."""

    message: WireMessage
    recipients: tuple[int, ...]


@dataclass(frozen=True)
class Transformed:
    """A node's view of what it signed (fed back to its own engine) and what it sends."""

    own: SignedVote | ProposalMessage
    outgoing: tuple[Outgoing, ...]


class Behaviour:
    """Honest behaviour; Byzantine behaviours override parts of it."""

    policy: Policy | None = None

    def __init__(self, signer: Signer, chain_id: str, peers: tuple[int, ...], rng: random.Random):
        self.signer = signer
        self.chain_id = chain_id
        self.peers = peers
        shuffled = list(peers)
        rng.shuffle(shuffled)
        middle = len(shuffled) // 2
        witness = shuffled[middle : middle + 1]
        self.half_a = tuple(sorted(shuffled[:middle] + witness))
        self.half_b = tuple(sorted(shuffled[middle:]))

    def on_vote(self, vote: Vote) -> Transformed:
        signed = self._sign_vote(vote)
        return Transformed(signed, (Outgoing(signed, self.peers),))

    def on_proposal(self, proposal: Proposal, block: Block) -> Transformed:
        message = self._sign_proposal(proposal, block)
        return Transformed(message, (Outgoing(message, self.peers),))

    def is_sending(self) -> bool:
        """Whether this node relays, re-broadcasts and answers sync requests at all."""
        return True

    def _sign_vote(self, vote: Vote) -> SignedVote:
        key = (vote.height, vote.round, 1 + int(vote.vote_type))
        sign_bytes = get_vote_sign_bytes(vote, self.chain_id)  # memoised: receivers reuse it
        return SignedVote(vote, self.signer.sign(key, sign_bytes))

    def _sign_proposal(self, proposal: Proposal, block: Block) -> ProposalMessage:
        key = (proposal.height, proposal.round, 1)
        signature = self.signer.sign(key, proposal.sign_bytes(self.chain_id))
        return ProposalMessage(SignedProposal(proposal, signature), block)

    def _sign_other_proposal(self, proposal: Proposal, block: Block) -> ProposalMessage:
        other = dataclasses.replace(proposal, block_hash=block.hash)
        signature = self.signer.sign_unguarded(other.sign_bytes(self.chain_id))
        return ProposalMessage(SignedProposal(other, signature), block)


class Equivocate(Behaviour):
    policy = Policy.EQUIVOCATE

    def on_proposal(self, proposal: Proposal, block: Block) -> Transformed:
        first = self._sign_proposal(proposal, block)
        header = dataclasses.replace(block.header, time_ms=block.header.time_ms + 1)
        second = self._sign_other_proposal(proposal, dataclasses.replace(block, header=header))
        return Transformed(first, (Outgoing(first, self.half_a), Outgoing(second, self.half_b)))


class DoubleVote(Behaviour):
    policy = Policy.DOUBLE_VOTE

    def on_vote(self, vote: Vote) -> Transformed:
        first = self._sign_vote(vote)
        other_hash = None
        if vote.block_hash is None:
            other_hash = compute_hash(f"conflict/{vote.height}/{vote.round}".encode())
        other = dataclasses.replace(vote, block_hash=other_hash)
        second = SignedVote(other, self.signer.sign_unguarded(other.sign_bytes(self.chain_id)))
        return Transformed(first, (Outgoing(first, self.half_a), Outgoing(second, self.half_b)))


class Silent(Behaviour):
    policy = Policy.SILENT

    def on_vote(self, vote: Vote) -> Transformed:
        return Transformed(self._sign_vote(vote), ())

    def on_proposal(self, proposal: Proposal, block: Block) -> Transformed:
        return Transformed(self._sign_proposal(proposal, block), ())

    def is_sending(self) -> bool:
        return False


class Invalid(Behaviour):
    policy = Policy.INVALID

    def on_vote(self, vote: Vote) -> Transformed:
        signed = self._sign_vote(vote)
        corrupt = bytes([signed.signature[0] ^ 0xFF]) + signed.signature[1:]
        return Transformed(signed, (Outgoing(SignedVote(vote, corrupt), self.peers),))

    def on_proposal(self, proposal: Proposal, block: Block) -> Transformed:
        own = self._sign_proposal(proposal, block)
        bad_app_hash = compute_hash(b"invalid/" + block.header.app_hash)
        header = dataclasses.replace(block.header, app_hash=bad_app_hash)
        bad = self._sign_other_proposal(proposal, dataclasses.replace(block, header=header))
        return Transformed(own, (Outgoing(bad, self.peers),))


_BEHAVIOURS: dict[Policy, type[Behaviour]] = {
    Policy.EQUIVOCATE: Equivocate,
    Policy.DOUBLE_VOTE: DoubleVote,
    Policy.SILENT: Silent,
    Policy.INVALID: Invalid,
}


def make_behaviour(
    policy: Policy | None, signer: Signer, chain_id: str, peers: tuple[int, ...], rng: random.Random
) -> Behaviour:
    """The behaviour for ``policy`` (None: honest); ``fork`` needs its coalition (coalition.py)."""
    if policy is Policy.FORK:
        raise ValueError("the fork policy is built with its Coalition (node.sim.coalition)")
    cls = Behaviour if policy is None else _BEHAVIOURS[policy]
    return cls(signer, chain_id, peers, rng)
