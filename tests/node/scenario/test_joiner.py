"""A late joiner's transactions: bond, register, vote for itself, in that order."""

from __future__ import annotations

from pathlib import Path

from consensus.crypto import KeyPair
from consensus.transactions import Bond, RegisterCandidate, VoteCandidates
from node.api.client import ApiClient
from node.ops.keys import create_key_file
from node.scenario.joiner import Joiner, compute_join_bodies


def test_joiner_bodies_bond_register_and_back_itself() -> None:
    key = KeyPair.from_seed(bytes(32))
    bodies = compute_join_bodies(key, "joiner", 3_000_000)
    assert bodies == (
        Bond(3_000_000),
        RegisterCandidate("joiner"),
        VoteCandidates((key.address,)),
    )


def test_joiner_unreachable_node_submits_nothing_and_retries_later(tmp_path: Path) -> None:
    create_key_file(tmp_path / "node_key.json", bytes(range(32)))
    joiner = Joiner("joiner", tmp_path, 5)
    joiner.advance(ApiClient("http://127.0.0.1:9", timeout_s=0.5))  # nothing listens there
    assert joiner.submitted == [] and not joiner.is_submitted
    joiner.submitted.extend(["a", "b", "c"])
    assert joiner.is_submitted
