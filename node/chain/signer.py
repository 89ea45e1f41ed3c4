"""The validator's signer: it never signs two different things for one (height, round, step).

Before returning a signature the signer durably records what it signed. After a crash it refuses
anything below its last (height, round, step), re-issues the identical signature for the same
bytes, and refuses different bytes at the same position (that would be a double sign).
"""

from __future__ import annotations

from pathlib import Path

from consensus.crypto import KeyPair
from consensus.messages import Proposal, Vote, VoteType
from consensus.primitives import Address, Signature
from node.chain.signer_state import (
    SignedPosition,
    SignStep,
    StoredPosition,
    load_last_signed,
    load_stored,
    store_next,
)
from node.errors import DoubleSignError

__all__ = [
    "SIGNER_STATE_FILE",
    "PersistentSigner",
    "SignStep",
    "SignedPosition",
    "load_last_signed",
]

SIGNER_STATE_FILE = "signer.json"
"""The signer's last signed position, in the node's data directory."""


class PersistentSigner:
    """Signs proposals and votes for one key, guarded by a state file."""

    def __init__(self, key: KeyPair, chain_id: str, state_path: Path) -> None:
        self.key = key
        self.chain_id = chain_id
        self.state_path = state_path
        self._stored: StoredPosition | None = load_stored(state_path)

    @property
    def last(self) -> SignedPosition | None:
        """What was signed last (None for a fresh signer)."""
        return None if self._stored is None else self._stored.record

    @property
    def address(self) -> Address:
        return self.key.address

    def sign_vote(self, vote: Vote) -> Signature:
        step = SignStep.PREVOTE if vote.vote_type == VoteType.PREVOTE else SignStep.PRECOMMIT
        return self._sign(vote.height, vote.round, step, vote.sign_bytes(self.chain_id))

    def sign_proposal(self, proposal: Proposal) -> Signature:
        message = proposal.sign_bytes(self.chain_id)
        return self._sign(proposal.height, proposal.round, SignStep.PROPOSAL, message)

    def _sign(self, height: int, round_: int, step: SignStep, message: bytes) -> Signature:
        position = (height, round_, int(step))
        if self.last is not None:
            if position < self.last.position:
                raise DoubleSignError(
                    f"refusing to sign {position}: already at {self.last.position}"
                )
            if position == self.last.position:
                if message == self.last.sign_bytes:
                    return self.last.signature
                raise DoubleSignError(f"refusing different bytes at {position}: double sign")
        signature = self.key.sign(message)
        record = SignedPosition(height, round_, step, message, signature)
        self._stored = store_next(self.state_path, self._stored, record)
        return signature
