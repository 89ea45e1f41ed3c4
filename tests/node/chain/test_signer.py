"""The persistent signer never double-signs, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensus.crypto import KeyPair
from consensus.messages import Proposal, Vote, VoteType
from node.chain.signer import PersistentSigner
from node.errors import DoubleSignError, StorageError

KEY = KeyPair.from_seed(b"\x05" * 32)
BLOCK_A, BLOCK_B = b"\xaa" * 32, b"\xbb" * 32


def vote(kind: VoteType, height: int, round_: int, block: bytes | None) -> Vote:
    return Vote(kind, height, round_, block, KEY.address)


def test_signer_signs_in_order_and_signatures_verify(tmp_path: Path) -> None:
    signer = PersistentSigner(KEY, "c", tmp_path / "signer.json")
    proposal = Proposal(1, 0, -1, BLOCK_A, KEY.address)
    sig = signer.sign_proposal(proposal)
    assert KEY.address and len(sig) == 64
    signer.sign_vote(vote(VoteType.PREVOTE, 1, 0, BLOCK_A))
    signer.sign_vote(vote(VoteType.PRECOMMIT, 1, 0, BLOCK_A))
    signer.sign_vote(vote(VoteType.PREVOTE, 1, 1, None))
    signer.sign_vote(vote(VoteType.PREVOTE, 2, 0, BLOCK_B))


def test_signer_refuses_conflicting_vote_at_same_position(tmp_path: Path) -> None:
    signer = PersistentSigner(KEY, "c", tmp_path / "signer.json")
    first = signer.sign_vote(vote(VoteType.PREVOTE, 3, 0, BLOCK_A))
    assert signer.sign_vote(vote(VoteType.PREVOTE, 3, 0, BLOCK_A)) == first
    with pytest.raises(DoubleSignError, match="double sign"):
        signer.sign_vote(vote(VoteType.PREVOTE, 3, 0, BLOCK_B))


def test_signer_refuses_to_go_back(tmp_path: Path) -> None:
    signer = PersistentSigner(KEY, "c", tmp_path / "signer.json")
    signer.sign_vote(vote(VoteType.PRECOMMIT, 4, 2, BLOCK_A))
    for earlier in (vote(VoteType.PREVOTE, 4, 2, BLOCK_A), vote(VoteType.PRECOMMIT, 4, 1, None)):
        with pytest.raises(DoubleSignError, match="refusing"):
            signer.sign_vote(earlier)


def test_signer_remembers_across_restart(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    first = PersistentSigner(KEY, "c", path).sign_vote(vote(VoteType.PRECOMMIT, 7, 0, BLOCK_A))
    restarted = PersistentSigner(KEY, "c", path)
    assert restarted.sign_vote(vote(VoteType.PRECOMMIT, 7, 0, BLOCK_A)) == first
    with pytest.raises(DoubleSignError):
        restarted.sign_vote(vote(VoteType.PRECOMMIT, 7, 0, BLOCK_B))
    with pytest.raises(DoubleSignError):
        restarted.sign_vote(vote(VoteType.PREVOTE, 6, 5, BLOCK_B))


def test_signer_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    path.write_text("{not json")
    with pytest.raises(StorageError, match="unreadable"):
        PersistentSigner(KEY, "c", path)
    path.write_text('{"height": 1}')
    with pytest.raises(StorageError, match="corrupt"):
        PersistentSigner(KEY, "c", path)
