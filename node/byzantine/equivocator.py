"""``equivocating_proposer``: for every round it proposes, a second block, signed and published.

The second block is built by the real block builder on the same state, with one transaction
fewer (when there are any) and a timestamp one millisecond later, so it is a valid block with a
different hash. Both proposals go out on the proposals topic; each honest node takes the first
it receives for the round, so the honest nodes may split between them. Safety must hold
(no two different blocks final at one height) and the chain must keep finalizing.
"""

from __future__ import annotations

import dataclasses

from consensus.bft.events import ProposalMessage
from consensus.bft.state import ConsensusState
from consensus.block import Block
from consensus.ledger import build_block
from consensus.messages import SignedProposal
from node.byzantine.base import Misbehaviour
from node.byzantine.roles import Role
from node.chain.hooks import Publisher


def build_second_block(state: ConsensusState, block: Block) -> Block:
    """Another valid block for ``block``'s height, proposer and parent."""
    header = block.header
    return build_block(
        state.chain,
        block.txs[:-1],
        header.proposer,
        header.time_ms + 1,
        state.last_commit,
        verify=state.verify,
    )


class EquivocatingProposer(Misbehaviour):
    """See the module docstring."""

    role = Role.EQUIVOCATING_PROPOSER

    def sign_second_proposal(
        self, message: ProposalMessage, state: ConsensusState
    ) -> ProposalMessage:
        """A proposal for the same height and round naming a different block."""
        block = build_second_block(state, message.block)
        proposal = dataclasses.replace(message.signed.proposal, block_hash=block.hash)
        signature = self.key.sign(proposal.sign_bytes(self.chain_id))
        return ProposalMessage(SignedProposal(proposal, signature), block)

    async def after_proposal(
        self, message: ProposalMessage, state: ConsensusState, publisher: Publisher
    ) -> None:
        if message.signed.proposal.proposer != self.key.address:
            return
        second = self.sign_second_proposal(message, state)
        if second.block.hash == message.block.hash:  # cannot happen: the time differs
            return
        await publisher.publish_proposal(second)
        self.record("second_proposal")
