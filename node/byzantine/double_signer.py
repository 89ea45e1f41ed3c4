"""``double_signer``: for every prevote and precommit it signs, a second, conflicting one.

The conflicting vote names nil where the honest vote names a block, and a block that does not
exist where the honest vote is nil. It is signed with the raw key (the persistent signer would
refuse it) and published on the votes topic like the first. Honest nodes that see both find the
equivocation (``EvidenceFound``), submit the evidence as a transaction, and the ledger slashes
and tombstones this validator once a block includes it.
"""

from __future__ import annotations

import dataclasses

from consensus.crypto import compute_hash
from consensus.messages import SignedVote, Vote
from node.byzantine.base import Misbehaviour
from node.byzantine.roles import Role
from node.chain.hooks import Publisher

CONFLICT_TAG = b"deltachain/byzantine/conflicting-vote"


def make_conflicting_vote(vote: Vote) -> Vote:
    """The same (type, height, round, validator) for another value: nil or a phantom block."""
    if vote.block_hash is not None:
        return dataclasses.replace(vote, block_hash=None)
    material = b"%s/%d/%d" % (CONFLICT_TAG, vote.height, vote.round)
    return dataclasses.replace(vote, block_hash=compute_hash(material))


class DoubleSigner(Misbehaviour):
    """See the module docstring."""

    role = Role.DOUBLE_SIGNER

    def sign_conflicting(self, signed: SignedVote) -> SignedVote:
        """A vote that conflicts with ``signed``, signed with the raw key."""
        other = make_conflicting_vote(signed.vote)
        return SignedVote(other, self.key.sign(other.sign_bytes(self.chain_id)))

    async def after_vote(self, signed: SignedVote, publisher: Publisher) -> None:
        if signed.vote.validator != self.key.address:
            return
        await publisher.publish_vote(self.sign_conflicting(signed))
        self.record(f"conflicting_{signed.vote.vote_type.name.lower()}")
