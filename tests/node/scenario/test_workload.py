"""The client workload's reconciliation finds lost and duplicated transactions and balances that
do not add up; its clients re-submit after a lost mempool and give up a taken nonce."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from consensus.ledger.devnet import sign_transaction
from consensus.transactions import SignedTransaction, Transfer
from node.scenario.manifest import Manifest, NodeSpec, WorkloadSpec
from node.scenario.workload import (
    Attempt,
    ClientTx,
    Outcome,
    check_workload,
    reconcile,
)
from node.scenario.workload_client import IN_MEMPOOL, WorkloadClients, get_workload_keys

OK = Attempt("v0", Outcome.ACCEPTED)


def tx(
    name: str, nonce: int = 0, *attempts: Attempt, sender: str = "a", dropped: str = ""
) -> ClientTx:
    return ClientTx(name, sender, "b", nonce, 10, 1, list(attempts or (OK,)), dropped)


START = {"a": 1_000, "b": 1_000}


def test_workload_reconcile_counts_a_clean_history() -> None:
    history = [tx("t1", 0), tx("t2", 1), tx("t3", 2, Attempt("v1", Outcome.REFUSED, "nonce"))]
    chains = {"v0": {1: ["t1"], 2: [], 3: ["t2"]}, "v1": {1: ["t1"], 2: [], 3: ["t2"]}}
    result = reconcile(history, chains, START, {"a": 978, "b": 1_020}, "v0")
    assert (result.submitted, result.accepted, result.final) == (3, 2, 2)
    assert (result.lost, result.duplicated, result.refused) == (0, 0, 1)
    assert result.is_consistent and check_workload(result).passed


def test_workload_reconcile_finds_an_acknowledged_tx_that_vanished() -> None:
    history = [tx("t1", 0), tx("t2", 1)]
    result = reconcile(history, {"v0": {1: ["t1"]}}, START)
    assert result.lost == 1 and not result.is_consistent
    assert not check_workload(result).passed


def test_workload_reconcile_accepts_a_drop_with_the_apis_reason() -> None:
    history = [tx("t1", 0, dropped="transaction refused: invalid transaction: nonce 0 < 1")]
    result = reconcile(history, {"v0": {1: []}}, START)
    assert (result.lost, result.dropped_with_reason) == (0, 1) and result.is_consistent


def test_workload_reconcile_unreachable_only_is_not_lost() -> None:
    history = [tx("t1", 0, Attempt("v2", Outcome.UNREACHABLE, "timed out"))]
    result = reconcile(history, {"v0": {1: []}}, START)
    assert (result.accepted, result.lost, result.unreachable) == (0, 0, 1)


def test_workload_reconcile_finds_a_tx_final_twice() -> None:
    result = reconcile([tx("t1", 0)], {"v0": {1: ["t1"], 2: ["t1"]}, "v1": {1: ["t1"]}}, START)
    assert result.duplicated == 1 and not check_workload(result).passed


def test_workload_reconcile_finds_two_txs_final_on_one_nonce() -> None:
    history = [tx("t1", 0), tx("t1b", 0)]
    result = reconcile(history, {"v0": {1: ["t1"], 2: ["t1b"]}}, START)
    assert result.duplicated == 1


def test_workload_reconcile_finds_a_tx_missing_on_an_honest_node_past_its_height() -> None:
    history = [tx("t1", 0)]
    chains: dict[str, dict[int, list[str]]] = {"v0": {1: ["t1"], 2: []}, "v1": {1: [], 2: []}}
    chains["v2"] = {}  # v2 is behind: fine
    result = reconcile(history, chains, START)
    assert result.lost == 1 and "v1" in result.problems[0] and "v2" not in result.problems[0]


def test_workload_reconcile_checks_balances_and_supply() -> None:
    history = [tx("t1", 0)]
    chains = {"v0": {1: ["t1"]}}
    assert reconcile(history, chains, START, {"a": 989, "b": 1_010}, "v0").is_consistent
    wrong = reconcile(history, chains, START, {"a": 989, "b": 1_011}, "v0")
    assert not wrong.is_consistent
    assert any(p.startswith("supply") for p in wrong.problems)


# ---- the clients, against a fake network of nodes that can lose their mempools ----------


@dataclass
class FakeNodes:
    """Nodes sharing one chain; each has a mempool that a crash empties; ``commit`` finalizes
    what any mempool holds, in nonce order."""

    names: tuple[str, ...] = ("v0", "v1")
    mempools: dict[str, dict[bytes, SignedTransaction]] = field(default_factory=dict)
    chain: list[SignedTransaction] = field(default_factory=list)
    nonces: dict[bytes, int] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)

    def submit(self, node: str, stx: SignedTransaction) -> Attempt:
        if node in self.down:
            return Attempt(node, Outcome.UNREACHABLE, "connection refused")
        pool = self.mempools.setdefault(node, {})
        if stx.hash in pool:
            return Attempt(node, Outcome.REFUSED, f"transaction refused: {IN_MEMPOOL}")
        if stx.tx.nonce < self.nonces.get(stx.tx.sender, 0):
            return Attempt(node, Outcome.REFUSED, "transaction refused: nonce too low")
        pool[stx.hash] = stx
        return Attempt(node, Outcome.ACCEPTED)

    def is_final(self, node: str, tx_hash: bytes) -> bool | None:
        return None if node in self.down else any(s.hash == tx_hash for s in self.chain)

    def get_nonce(self, node: str, address: bytes) -> int | None:
        return None if node in self.down else self.nonces.get(address, 0)

    def commit(self) -> None:
        for pool in self.mempools.values():
            for stx in sorted(pool.values(), key=lambda s: s.tx.nonce):
                sender = stx.tx.sender
                if stx.tx.nonce == self.nonces.get(sender, 0):
                    self.chain.append(stx)
                    self.nonces[sender] = stx.tx.nonce + 1
            pool.clear()

    def crash(self, node: str) -> None:
        self.mempools[node] = {}


MANIFEST = Manifest(
    name="wl", nodes=(NodeSpec("v0"), NodeSpec("v1")), workload=WorkloadSpec(accounts=2)
)


def make_clients(nodes: FakeNodes) -> WorkloadClients:
    return WorkloadClients(
        MANIFEST.workload,
        get_workload_keys(MANIFEST),
        chain_id="c",
        fee=1,
        nodes=nodes.names,
        gateway=nodes,
        rng=random.Random(3),
    )


def chains_of(nodes: FakeNodes) -> dict[str, dict[int, list[str]]]:
    chain = {h + 1: [s.hash.hex()] for h, s in enumerate(nodes.chain)}
    return {"v0": chain, "v1": chain}


def test_workload_clients_resubmit_after_a_crash_lost_the_mempool() -> None:
    nodes = FakeNodes()
    clients = make_clients(nodes)
    clients.step(0.0)
    for name in nodes.names:
        nodes.crash(name)  # every acknowledged transfer is gone from the mempools
    t = 0.0
    while t < 10 or clients.outstanding:
        t += 0.5
        clients.step(t, submit_new=t < 10)
        if int(t * 2) % 3 == 0:
            nodes.commit()
    result = reconcile(clients.history, chains_of(nodes), {})
    assert result.final == result.accepted == result.submitted >= 4
    assert result.lost == 0 and result.duplicated == 0
    assert all(len(t.attempts) >= 2 for t in clients.history[:2])  # the first two re-sent


def test_workload_clients_drop_a_tx_whose_nonce_another_took() -> None:
    nodes = FakeNodes()
    clients = make_clients(nodes)
    key = get_workload_keys(MANIFEST)[0]
    clients.step(0.0)
    nodes.crash("v0")
    nodes.crash("v1")
    rival = Transfer(get_workload_keys(MANIFEST)[1].address, 99)
    nodes.mempools["v0"] = {b"r": sign_transaction(key, "c", 0, rival)}  # same nonce, other tx
    nodes.commit()
    for step in range(1, 20):
        clients.step(step * 1.0, submit_new=False)
        nodes.commit()
    first = next(t for t in clients.history if t.sender == key.address.hex())
    assert first.dropped == "transaction refused: nonce too low"
    result = reconcile(clients.history, chains_of(nodes), {})
    assert (result.dropped_with_reason, result.final, result.lost) == (1, 1, 0)
