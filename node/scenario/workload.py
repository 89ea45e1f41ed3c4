"""A Jepsen-style client workload: the history of what clients submitted, and its reconciliation
against the final chains of the honest nodes (pure).

Every submission of a transaction is an :class:`Attempt` with the API's answer: accepted,
refused (with the API's reason) or unreachable (no answer: the node may or may not have taken
it). At the end every transaction an API accepted must be final exactly once on every honest
chain that reaches its height, or have been given up by the client with a reason an API gave
(``dropped``); none may be final twice; and the workload's balances must add up: each account
ends with its genesis balance less what its final transactions sent and paid in fees, plus what
final transactions paid it, and the accounts together lost exactly the fees.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from node.scenario.report import CheckResult


class Outcome(enum.Enum):
    """What one submission got back."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    """No reply: indeterminate (the node may have admitted it before the connection broke)."""


@dataclass(frozen=True)
class Attempt:
    node: str
    outcome: Outcome
    reason: str = ""
    """The API's message for a refusal, the client's error for an unreachable node."""


@dataclass
class ClientTx:
    """One transfer a workload client signed, and everything that happened to it."""

    tx_hash: str
    sender: str
    recipient: str
    nonce: int
    amount: int
    fee: int
    attempts: list[Attempt] = field(default_factory=list)
    dropped: str = ""
    """Set when the client gave up on it: the reason an API gave (e.g. its nonce was taken)."""

    @property
    def is_accepted(self) -> bool:
        return any(a.outcome is Outcome.ACCEPTED for a in self.attempts)


Chain = Mapping[int, Sequence[str]]
"""One node's final chain: transaction hashes (hex) by height."""


@dataclass(frozen=True)
class Reconciliation:
    """The workload's figures (``report.json``'s ``workload``) and what did not add up."""

    submitted: int
    accepted: int
    final: int
    lost: int
    duplicated: int
    dropped_with_reason: int
    refused: int = 0
    unreachable: int = 0
    problems: tuple[str, ...] = ()

    @property
    def is_consistent(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "accepted": self.accepted,
            "final": self.final,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "dropped_with_reason": self.dropped_with_reason,
            "refused": self.refused,
            "unreachable_attempts": self.unreachable,
            "problems": list(self.problems),
        }


def find_positions(chain: Chain) -> dict[str, list[int]]:
    """Heights at which each transaction hash is final on one chain."""
    positions: dict[str, list[int]] = {}
    for height in sorted(chain):
        for tx_hash in chain[height]:
            positions.setdefault(tx_hash, []).append(height)
    return positions


def reconcile(
    history: Sequence[ClientTx],
    chains: Mapping[str, Chain],
    start_balances: Mapping[str, int],
    end_balances: Mapping[str, int] | None = None,
    reference: str | None = None,
) -> Reconciliation:
    """Check ``history`` against the honest nodes' final ``chains``.

    ``end_balances`` (the workload accounts' balances as the ``reference`` node reports them
    at the top of its chain) are checked against what its chain says should be left.
    """
    problems: list[str] = []
    positions = {name: find_positions(chain) for name, chain in chains.items()}
    tops = {name: max(chain, default=0) for name, chain in chains.items()}
    final, lost, duplicated, dropped = 0, 0, 0, 0
    for tx in history:
        heights = [positions[name].get(tx.tx_hash, []) for name in chains]
        if any(len(h) > 1 for h in heights):
            duplicated += 1
            problems.append(f"tx {tx.tx_hash[:16]} final more than once")
        first = min((h[0] for h in heights if h), default=None)
        if first is not None:
            final += 1
            missing = [n for n in chains if tops[n] >= first and tx.tx_hash not in positions[n]]
            if missing:
                lost += 1
                problems.append(f"tx {tx.tx_hash[:16]} final at {first} but missing on {missing}")
        elif tx.is_accepted and tx.dropped:
            dropped += 1
        elif tx.is_accepted:
            lost += 1
            problems.append(f"tx {tx.tx_hash[:16]} accepted, never final, never dropped")
    duplicated += _count_taken_nonces_twice(history, positions)
    if end_balances is not None and reference is not None and reference in positions:
        problems.extend(
            _check_balances(history, positions[reference], start_balances, end_balances)
        )
    return Reconciliation(
        submitted=len(history),
        accepted=sum(tx.is_accepted for tx in history),
        final=final,
        lost=lost,
        duplicated=duplicated,
        dropped_with_reason=dropped,
        refused=sum(
            bool(tx.attempts) and all(a.outcome is Outcome.REFUSED for a in tx.attempts)
            for tx in history
        ),
        unreachable=sum(a.outcome is Outcome.UNREACHABLE for tx in history for a in tx.attempts),
        problems=tuple(problems),
    )


def _count_taken_nonces_twice(
    history: Sequence[ClientTx], positions: Mapping[str, Mapping[str, list[int]]]
) -> int:
    """Two different transactions of one (sender, nonce) both final on one chain."""
    count = 0
    for on_chain in positions.values():
        seen: dict[tuple[str, int], str] = {}
        for tx in history:
            if tx.tx_hash not in on_chain:
                continue
            other = seen.setdefault((tx.sender, tx.nonce), tx.tx_hash)
            if other != tx.tx_hash:
                count += 1
    return count


def _check_balances(
    history: Sequence[ClientTx],
    on_chain: Mapping[str, list[int]],
    start: Mapping[str, int],
    end: Mapping[str, int],
) -> list[str]:
    expected = dict(start)
    fees = 0
    for tx in history:
        if tx.tx_hash in on_chain:
            expected[tx.sender] = expected.get(tx.sender, 0) - tx.amount - tx.fee
            expected[tx.recipient] = expected.get(tx.recipient, 0) + tx.amount
            fees += tx.fee
    problems = [
        f"account {address[:16]} holds {end.get(address)}, its final transfers leave {balance}"
        for address, balance in sorted(expected.items())
        if end.get(address) != balance
    ]
    total_start, total_end = sum(start.values()), sum(end.get(a, 0) for a in expected)
    if total_start - fees != total_end:
        problems.append(
            f"supply: the workload's accounts started with {total_start}, paid {fees} in fees "
            f"and hold {total_end}"
        )
    return problems


def check_workload(result: Reconciliation) -> CheckResult:
    """``workload_consistent``: nothing acknowledged lost or final twice, balances add up."""
    detail = (
        f"{result.accepted} accepted: {result.final} final, {result.dropped_with_reason} "
        f"dropped with a reason, 0 lost, 0 duplicated"
        if result.is_consistent
        else f"lost {result.lost}, duplicated {result.duplicated}: {'; '.join(result.problems[:5])}"
    )
    return CheckResult("workload_consistent", result.is_consistent, detail)
