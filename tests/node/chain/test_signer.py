"""The persistent signer never double-signs, across restarts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consensus.crypto import KeyPair
from consensus.messages import Proposal, Vote, VoteType
from node.chain.signer import PersistentSigner, SignStep, load_last_signed
from node.chain.signer_state import SLOT_BYTES
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


def test_signer_state_is_two_slots_written_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    signer = PersistentSigner(KEY, "c", path)
    for height in (1, 2, 3):
        signer.sign_vote(vote(VoteType.PREVOTE, height, 0, BLOCK_A))
        assert path.stat().st_size == 2 * SLOT_BYTES
        last = load_last_signed(path)
        assert last is not None and last.position == (height, 0, int(SignStep.PREVOTE))
    lines = path.read_text().splitlines()
    assert [json.loads(line)["height"] for line in lines] == [2, 3]  # seq 2 in slot 0


def test_signer_a_torn_newest_slot_falls_back_to_the_one_before(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    signer = PersistentSigner(KEY, "c", path)
    prevote = signer.sign_vote(vote(VoteType.PREVOTE, 5, 0, BLOCK_A))
    signer.sign_vote(vote(VoteType.PRECOMMIT, 5, 0, BLOCK_A))  # seq 2: slot 0
    with open(path, "r+b") as handle:  # a crash mid-write: half of the slot is new bytes
        handle.write(b"x" * (SLOT_BYTES // 2))
    restarted = PersistentSigner(KEY, "c", path)
    assert restarted.last is not None and restarted.last.step == SignStep.PREVOTE
    assert restarted.sign_vote(vote(VoteType.PREVOTE, 5, 0, BLOCK_A)) == prevote
    with pytest.raises(DoubleSignError):
        restarted.sign_vote(vote(VoteType.PREVOTE, 5, 0, BLOCK_B))
    restarted.sign_vote(vote(VoteType.PRECOMMIT, 5, 0, None))  # the torn one never left
    assert PersistentSigner(KEY, "c", path).last == restarted.last


def test_signer_state_with_both_slots_torn_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    signer = PersistentSigner(KEY, "c", path)
    signer.sign_vote(vote(VoteType.PREVOTE, 1, 0, BLOCK_A))
    signer.sign_vote(vote(VoteType.PREVOTE, 2, 0, BLOCK_A))
    text = (
        path.read_text().replace('"height": 1', '"height": 9').replace('"height": 2', '"hEight": 2')
    )
    path.write_text(text)
    with pytest.raises(StorageError, match="neither slot holds a whole record"):
        PersistentSigner(KEY, "c", path)


def test_signer_reads_the_earlier_one_record_format_and_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    body = {"height": 7, "round": 1, "step": 3, "sign_bytes": "00", "signature": "11"}
    path.write_text(json.dumps(body))
    signer = PersistentSigner(KEY, "c", path)
    with pytest.raises(DoubleSignError, match="already at"):
        signer.sign_vote(vote(VoteType.PREVOTE, 7, 1, BLOCK_A))
    signer.sign_vote(vote(VoteType.PREVOTE, 8, 0, BLOCK_A))
    assert path.stat().st_size == 2 * SLOT_BYTES
    last = load_last_signed(path)
    assert last is not None and last.position == (8, 0, int(SignStep.PREVOTE))
