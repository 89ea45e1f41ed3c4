"""The audit of a model version on a chain where a real aggregation happened, and on copies of
its store tampered with in the ways the audit must catch."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from consensus.encoding import encode
from consensus.transactions import ModelDelta
from ml.models import init_weights
from ml.snapshot import encode_weights
from node.api import ApiApp, request_in_memory
from node.chain.chain_node import ChainNode
from node.learning.audit import UnknownVersionError, audit_model_version, fetch_audit
from node.storage.chain_store import ChainStore
from tests.node.cli.learned import LearnedChain, build_learned_chain, open_node
from tests.node.learning.test_learning_on_finality import TASK

SNAPSHOT_OTHER = encode_weights(init_weights(TASK.model_id, 99))


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> LearnedChain:
    return build_learned_chain(tmp_path_factory.mktemp("learned"))


@pytest.fixture
def home(learned: LearnedChain, tmp_path: Path) -> Path:
    """A private copy of validator 0's data directory, free to tamper with."""
    copy = tmp_path / "n0"
    shutil.copytree(learned.homes[0], copy)
    return copy


@pytest.fixture
def opened(home: Path) -> Iterator[ChainNode]:
    node = open_node(home)
    yield node
    node.storage.close()


def delta_height(home: Path, tx_hash: bytes) -> int:
    store = ChainStore(home / "chain.db")
    try:
        location = store.find_tx(tx_hash)
        assert location is not None
        return location.height
    finally:
        store.close()


def corrupt_commit_signature(home: Path, height: int) -> None:
    """Flip one bit of the first precommit signature in the stored commit of ``height``."""
    store = ChainStore(home / "chain.db")
    finalized = store.get_finalized(height)
    store.close()
    assert finalized is not None
    first, *rest = finalized.commit.signatures
    flipped = bytes([first.signature[0] ^ 1]) + first.signature[1:]
    bad = dataclasses.replace(first, signature=flipped)
    commit = dataclasses.replace(finalized.commit, signatures=(bad, *rest))
    with sqlite3.connect(home / "chain.db") as db:
        db.execute("UPDATE blocks SET commit_ = ? WHERE height = ?", (encode(commit), height))
    db.close()


def test_audit_verifies_every_link_of_a_learned_version(
    opened: ChainNode, learned: LearnedChain
) -> None:
    report = audit_model_version(opened, 1, 1)
    assert report.verified and report.failures == ()
    task = opened.get_chain_state().tasks[1]
    assert report.model_hash == task.model_hash != TASK.initial_model_hash
    record = opened.get_models(1)[0]
    assert report.height == record.height and report.commit_verified
    finalized = opened.get_finalized(record.height)
    assert finalized is not None and report.block_hash == finalized.block.hash
    assert report.snapshot_held and report.snapshot_verified
    assert sorted(d.tx_hash for d in report.deltas) == sorted(learned.delta_hashes)
    for delta in report.deltas:
        assert delta.signature_valid and delta.inclusion_verified and delta.commit_verified
        assert delta.accepted and delta.reward == delta.expected_reward == TASK.reward_per_delta
        assert 0 < delta.height <= report.height
        assert delta.base_version == 0 and delta.evaluation is not None
        assert delta.evaluation.samples >= 40 and delta.evaluation.loss == 1.5
    assert report.evaluation is None  # nobody has reported on version 1 yet
    base = task.get_evaluation(0)  # the network's accuracy of version 0: 4 reports
    assert base is not None and (base.reports, base.samples, base.correct) == (4, 166, 86)


def test_audit_reports_a_contribution_paid_the_wrong_reward(opened: ChainNode) -> None:
    row = opened.get_contributions(1, 1)[0]
    wrong = dataclasses.replace(row, reward=row.reward + 1)
    opened.storage.store.save_contributions(1, 1, [wrong])
    report = audit_model_version(opened, 1, 1)
    assert not report.verified
    assert report.failures == (
        f"delta {row.tx_hash.hex()[:16]} was paid {row.reward + 1}, "
        f"the ledger's rule pays {TASK.reward_per_delta}",
    )


def test_audit_reports_a_rejected_flag_that_the_pool_contradicts(opened: ChainNode) -> None:
    row = opened.get_contributions(1, 1)[0]
    flipped = dataclasses.replace(row, accepted=False, reward=0)
    opened.storage.store.save_contributions(1, 1, [flipped])
    report = audit_model_version(opened, 1, 1)
    assert not report.verified
    assert any(f.startswith("rewards do not add up") for f in report.failures)


def test_audit_reports_a_corrupted_commit_signature(home: Path, learned: LearnedChain) -> None:
    height = delta_height(home, learned.delta_hashes[0])
    corrupt_commit_signature(home, height)
    node = open_node(home)
    try:
        report = audit_model_version(node, 1, 1)
    finally:
        node.storage.close()
    assert not report.verified
    assert any(
        f.startswith(f"block {height}: commit does not verify: bad precommit signature")
        for f in report.failures
    )
    broken = [d for d in report.deltas if d.height == height]
    assert broken and all(not d.commit_verified and d.signature_valid for d in broken)


def test_audit_reports_a_corrupt_model_snapshot(opened: ChainNode) -> None:
    model_hash = opened.get_models(1)[0].model_hash
    path = opened.storage.blobs.root / model_hash.hex()[:2] / model_hash.hex()
    path.write_bytes(path.read_bytes()[:-4])
    report = audit_model_version(opened, 1, 1)
    assert not report.verified and not report.snapshot_verified
    assert any("corrupt" in f for f in report.failures)


def test_audit_without_the_snapshot_still_verifies_the_chain(opened: ChainNode) -> None:
    model_hash = opened.get_models(1)[0].model_hash
    (opened.storage.blobs.root / model_hash.hex()[:2] / model_hash.hex()).unlink()
    report = audit_model_version(opened, 1, 1)
    assert report.verified and not report.snapshot_held and not report.snapshot_verified


def test_audit_unknown_task_or_version_raises(opened: ChainNode) -> None:
    with pytest.raises(UnknownVersionError, match="no task 9"):
        audit_model_version(opened, 9, 1)
    with pytest.raises(UnknownVersionError, match="no aggregated model version 2"):
        audit_model_version(opened, 1, 2)
    with pytest.raises(UnknownVersionError):
        audit_model_version(opened, 1, 0)


async def test_audit_route_serves_the_report_and_404s(opened: ChainNode) -> None:
    app = ApiApp(opened)
    reply = await request_in_memory(app, "GET", "/tasks/1/models/1/audit")
    assert reply.status == 200
    body = reply.json()
    assert body["verified"] is True and body["failures"] == [] and len(body["deltas"]) == 4
    assert body["aggregation_replayed"] is True and body["aggregation_verified"] is True
    assert body["model_hash"] == opened.get_models(1)[0].model_hash.hex()
    missing = await request_in_memory(app, "GET", "/tasks/1/models/5/audit")
    assert missing.status == 404 and "version 5" in missing.json()["message"]


async def test_audit_replays_the_aggregation_when_the_blobs_are_held(opened: ChainNode) -> None:
    report = await fetch_audit(opened, 1, 1)
    assert report.aggregation_replayed and report.aggregation_verified and report.verified


async def test_audit_replay_catches_a_recorded_model_the_rule_does_not_give(
    opened: ChainNode,
) -> None:
    other = opened.storage.blobs.put(SNAPSHOT_OTHER)
    record = opened.get_models(1)[0]
    opened.storage.store.save_model(dataclasses.replace(record, model_hash=other))
    report = await fetch_audit(opened, 1, 1)
    assert report.snapshot_verified and report.aggregation_replayed
    assert not report.aggregation_verified and not report.verified
    assert any(f.startswith("re-running the aggregation gives model") for f in report.failures)


async def test_audit_replay_catches_a_wrong_accepted_set(opened: ChainNode) -> None:
    rows = opened.get_contributions(1, 1)
    rejected = [dataclasses.replace(r, accepted=False, reward=0) for r in rows[:1]]
    opened.storage.store.save_contributions(1, 1, rejected)
    report = await fetch_audit(opened, 1, 1)
    assert report.aggregation_replayed and not report.aggregation_verified
    assert "re-running the aggregation accepts other deltas than recorded" in report.failures


async def test_audit_without_a_payload_cannot_replay(opened: ChainNode) -> None:
    delta = opened.find_transaction(opened.get_contributions(1, 1)[0].tx_hash)
    assert delta is not None and isinstance(delta[1].tx.body, ModelDelta)
    payload_hash = delta[1].tx.body.payload_hash.hex()
    (opened.storage.blobs.root / payload_hash[:2] / payload_hash).unlink()
    report = await fetch_audit(opened, 1, 1)
    assert report.verified and not report.aggregation_replayed
