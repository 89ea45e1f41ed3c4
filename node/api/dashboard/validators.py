"""The validator set and the candidates: voting power, stake behind each, who delegates to whom,
jailed and slashed state, and what the next election would choose with today's votes."""

from __future__ import annotations

from consensus.ledger import compute_backing, compute_elected_powers, compute_shares
from consensus.state import Candidate, ChainState
from node.api.dashboard import fmt
from node.api.dashboard.html import Html, table, tag
from node.api.dashboard.source import Source


def compute_next_election(state: ChainState) -> int:
    """The height of the next block that runs an election (a multiple of ``epoch_length``)."""
    epoch = max(1, state.params.epoch_length)
    return (state.height // epoch + 1) * epoch


def count_delegators(state: ChainState) -> dict[bytes, int]:
    """How many accounts back each candidate with bonded stake."""
    counts: dict[bytes, int] = {}
    for account in state.accounts.values():
        for candidate in compute_shares(account):
            counts[candidate] = counts.get(candidate, 0) + 1
    return counts


def describe_standing(candidate: Candidate | None, state: ChainState) -> Html:
    """Jailed, slashed (tombstoned) or in good standing, as words."""
    if candidate is None:
        return Html("")
    if candidate.tombstoned:
        return fmt.flag(True, "slashed: double sign, jailed for good")
    if candidate.is_jailed(state.height + 1):
        return fmt.flag(True, f"jailed until block {candidate.jailed_until:,}")
    return tag("span", "active", class_="ok")


def render_validator_table(src: Source) -> Html:
    state = src.state
    backing = compute_backing(state.accounts.values())
    delegators = count_delegators(state)
    total = state.validators.total_power or 1
    window = state.params.downtime_window
    rows = [
        (
            fmt.address_link(v.address, src.monikers),
            fmt.amount(v.power),
            fmt.percent(v.power / total),
            fmt.amount(backing.get(v.address, 0)),
            delegators.get(v.address, 0),
            f"{len(state.missed_blocks.get(v.address, ())):,} of {window:,}",
            describe_standing(state.candidates.get(v.address), state),
        )
        for v in state.validators.validators
    ]
    headers = (
        "validator",
        "voting power",
        "share",
        "stake backing it",
        "delegators",
        "missed blocks (window)",
        "standing",
    )
    return table(headers, rows, class_="validators")


def render_election(src: Source) -> Html:
    """The next election's height and the set today's votes would elect, with the changes."""
    state = src.state
    at = compute_next_election(state)
    elected = compute_elected_powers(state, at + 1)
    current = {v.address for v in state.validators.validators}
    rows = [
        (
            fmt.address_link(address, src.monikers),
            fmt.amount(power),
            "stays" if address in current else tag("span", "joins", class_="ok"),
        )
        for address, power in elected.items()
    ]
    leaving = [a for a in current if a not in elected and elected]
    rows += [
        (fmt.address_link(a, src.monikers), "-", tag("span", "leaves", class_="bad"))
        for a in sorted(leaving)
    ]
    note = tag(
        "p",
        f"Next election at block {at:,} (in {at - state.height:,} blocks), every "
        f"{state.params.epoch_length:,} blocks: the top {state.params.max_validators} candidates "
        "by backing that are not jailed. With today's votes:",
    )
    if not rows:
        return Html(note + tag("p", "No eligible candidate: the set stays.", class_="empty"))
    return Html(note + table(("candidate", "power", "change"), rows))


def render_candidate_table(src: Source) -> Html:
    state = src.state
    backing = compute_backing(state.accounts.values())
    rows = [
        (
            fmt.address_link(address, src.monikers),
            fmt.amount(backing.get(address, 0)),
            fmt.block_link(candidate.registered_at) if candidate.registered_at else "genesis",
            "yes" if address in state.validators else "no",
            describe_standing(candidate, state),
        )
        for address, candidate in sorted(state.candidates.items())
    ]
    if not rows:
        return tag("p", "No registered candidate.", class_="empty")
    return table(("candidate", "backing", "registered", "validator", "standing"), rows)
