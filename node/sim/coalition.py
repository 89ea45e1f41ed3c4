"""A colluding Byzantine coalition that tries to fork the chain (the ``fork`` policy).

Members agree out of band on a split of the other validators into two sides. When a member
proposes, it signs two blocks and shows each side one of them; whenever a fork is known for a
(height, round), every member prevotes and precommits the first block to side A and the second
to side B. With less than a third of the power this only costs rounds; with a third or more
(``--allow-unsafe``) both sides can reach a quorum, and the safety checker must report two
final blocks at one height. The policy exists to show that the checker catches a real fork.
"""

from __future__ import annotations

import dataclasses
import random

from consensus.block import Block
from consensus.messages import Proposal, Vote
from consensus.primitives import Hash32, Height, Round
from node.sim.byzantine import Behaviour, Outgoing, Transformed
from node.sim.config import Policy
from node.sim.signer import Signer


class Coalition:
    """What the members share: the two sides and the forks proposed so far."""

    __slots__ = ("forks", "side_b")

    def __init__(self, members: tuple[int, ...], nodes: int) -> None:
        outsiders = [i for i in range(nodes) if i not in members]
        self.side_b = frozenset(outsiders[1::2])
        self.forks: dict[tuple[Height, Round], tuple[Hash32, Hash32]] = {}

    def split(self, peers: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """``peers`` on side A (members included) and on side B."""
        side_a = tuple(p for p in peers if p not in self.side_b)
        return side_a, tuple(p for p in peers if p in self.side_b)


class Fork(Behaviour):
    policy = Policy.FORK

    def __init__(
        self,
        signer: Signer,
        chain_id: str,
        peers: tuple[int, ...],
        rng: random.Random,
        coalition: Coalition,
    ) -> None:
        super().__init__(signer, chain_id, peers, rng)
        self.coalition = coalition
        self.half_a, self.half_b = coalition.split(peers)

    def on_proposal(self, proposal: Proposal, block: Block) -> Transformed:
        first = self._sign_proposal(proposal, block)
        header = dataclasses.replace(block.header, time_ms=block.header.time_ms + 1)
        second = self._sign_other_proposal(proposal, dataclasses.replace(block, header=header))
        key = (proposal.height, proposal.round)
        self.coalition.forks[key] = (first.block.hash, second.block.hash)
        return Transformed(first, (Outgoing(first, self.half_a), Outgoing(second, self.half_b)))

    def on_vote(self, vote: Vote) -> Transformed:
        fork = self.coalition.forks.get((vote.height, vote.round))
        if fork is None:
            return super().on_vote(vote)
        own = self._sign_vote(vote)
        side_a, side_b = (self._sign_vote(dataclasses.replace(vote, block_hash=h)) for h in fork)
        return Transformed(own, (Outgoing(side_a, self.half_a), Outgoing(side_b, self.half_b)))
