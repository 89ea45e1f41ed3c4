"""The validator's signer: it never signs two different things for one (height, round, step).

Before returning a signature the signer durably records what it signed. After a crash it refuses
anything below its last (height, round, step), re-issues the identical signature for the same
bytes, and refuses different bytes at the same position (that would be a double sign).
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass
from pathlib import Path

from consensus.crypto import KeyPair
from consensus.messages import Proposal, Vote, VoteType
from consensus.primitives import Address, Signature
from node.errors import DoubleSignError, StorageError

SIGNER_STATE_FILE = "signer.json"
"""The signer's last signed position, in the node's data directory."""


class SignStep(enum.IntEnum):
    """Positions within a round, in signing order."""

    PROPOSAL = 1
    PREVOTE = 2
    PRECOMMIT = 3


@dataclass(frozen=True)
class SignedPosition:
    """The last thing signed: its (height, round, step), bytes and signature."""

    height: int
    round: int
    step: SignStep
    sign_bytes: bytes
    signature: bytes

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.height, self.round, int(self.step))


class PersistentSigner:
    """Signs proposals and votes for one key, guarded by a state file."""

    def __init__(self, key: KeyPair, chain_id: str, state_path: Path) -> None:
        self.key = key
        self.chain_id = chain_id
        self.state_path = state_path
        self.last = load_last_signed(state_path)

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
        store_last_signed(self.state_path, record)
        self.last = record
        return signature


def store_last_signed(path: Path, record: SignedPosition) -> None:
    """Write the record atomically and durably (temporary file, fsync, rename, fsync dir)."""
    body = {
        "height": record.height,
        "round": record.round,
        "step": int(record.step),
        "sign_bytes": record.sign_bytes.hex(),
        "signature": record.signature.hex(),
    }
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_last_signed(path: Path) -> SignedPosition | None:
    """The last signed record, or None for a fresh signer; a corrupt file raises StorageError."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        raise StorageError(f"signer state {path} is unreadable: {exc}") from exc
    try:
        return SignedPosition(
            height=int(body["height"]),
            round=int(body["round"]),
            step=SignStep(int(body["step"])),
            sign_bytes=bytes.fromhex(body["sign_bytes"]),
            signature=bytes.fromhex(body["signature"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"signer state {path} is corrupt: {exc}") from exc
