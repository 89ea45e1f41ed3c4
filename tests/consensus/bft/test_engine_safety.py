"""Safety under any delivery order: Hypothesis drives four validators' messages.

Each step delivers one pending message (in any order, to any node), drops one, or fires any
scheduled timeout early; the clock moves so that proposers of later rounds build other blocks.
In the Byzantine variant one validator (f = 1) also signs extra, conflicting votes for nil or
any block of the height and slips each to one honest node. Whatever happens, no two honest
nodes finalize different blocks at a height, and no engine ever asks its signer for two
different votes at one (height, round, type).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from consensus.bft.events import SignVote
from consensus.crypto import KeyPair
from consensus.messages import VoteType
from tests.consensus.bft.cluster import Cluster, make_chain, vote

STEPS = 250


def _step(cluster: Cluster, data: st.DataObject, byzantine: KeyPair | None) -> None:
    messages = [(a, i) for a, queue in cluster.inbox.items() for i in range(len(queue))]
    timeouts = [(a, i) for a, pending in cluster.timeouts.items() for i in range(len(pending))]
    kind = data.draw(st.integers(0, 10), label="kind")
    if kind == 10 and byzantine is not None:
        _equivocate(cluster, data, byzantine)
    elif messages and (kind <= 7 or not timeouts):
        address, index = messages[data.draw(st.integers(0, len(messages) - 1), label="msg")]
        message = cluster.inbox[address][index]
        del cluster.inbox[address][index]
        if kind <= 6:
            cluster.deliver(address, message)
    elif timeouts:
        address, index = timeouts[data.draw(st.integers(0, len(timeouts) - 1), label="timeout")]
        scheduled = cluster.timeouts[address].pop(index)
        cluster.now_ms += scheduled.delay_ms
        cluster.fire(address, scheduled.timeout)


def _equivocate(cluster: Cluster, data: st.DataObject, key: KeyPair) -> None:
    """The Byzantine validator signs any vote of its height and gives it to one honest node."""
    state = cluster.nodes[key.address]
    blocks = sorted({h for node in cluster.nodes.values() for h in node.rs.blocks})
    value = data.draw(st.sampled_from([None, *blocks]), label="value")
    round_ = data.draw(st.integers(0, state.round), label="round")
    vote_type = data.draw(st.sampled_from(VoteType), label="type")
    signed = vote(key, vote_type, state.height, round_, value)
    honest = sorted(a for a in cluster.nodes if a != key.address)
    cluster.inbox[data.draw(st.sampled_from(honest), label="to")].append(signed)


def _check_agreement(cluster: Cluster, byzantine: KeyPair | None = None) -> None:
    by_height: dict[int, set[bytes]] = {}
    honest = {
        a: f for a, f in cluster.finalized.items() if byzantine is None or a != byzantine.address
    }
    for finals in honest.values():
        for final in finals:
            by_height.setdefault(final.finalized.block.height, set()).add(
                final.finalized.block.hash
            )
    assert all(len(hashes) == 1 for hashes in by_height.values()), by_height


def _check_no_double_votes(cluster: Cluster) -> None:
    for effects in cluster.log.values():
        cast: dict[tuple[int, int, int], bytes | None] = {}
        for effect in effects:
            if isinstance(effect, SignVote):
                v = effect.vote
                key = (v.height, v.round, int(v.vote_type))
                assert cast.setdefault(key, v.block_hash) == v.block_hash


def _run_random_schedule(data: st.DataObject, with_byzantine: bool = False) -> None:
    keys, chain = make_chain(4)
    byzantine = keys[1] if with_byzantine else None
    cluster = Cluster.start(keys, chain)
    for _ in range(STEPS):
        if not any(cluster.inbox.values()) and not any(cluster.timeouts.values()):
            break
        _step(cluster, data, byzantine)
        _check_agreement(cluster, byzantine)
    _check_no_double_votes(cluster)
    event(f"heights decided: {max((len(f) for f in cluster.finalized.values()), default=0)}")
    event(f"highest round: {max(s.round for s in cluster.nodes.values())}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_random_delivery_never_finalizes_two_blocks(data: st.DataObject) -> None:
    _run_random_schedule(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_one_equivocating_validator_cannot_split_the_honest_ones(
    data: st.DataObject,
) -> None:
    _run_random_schedule(data, with_byzantine=True)


@pytest.mark.slow
@settings(max_examples=1_500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_one_equivocating_validator_cannot_split_the_honest_ones_long(
    data: st.DataObject,
) -> None:
    _run_random_schedule(data, with_byzantine=True)


@pytest.mark.slow
@settings(max_examples=1_500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_random_delivery_never_finalizes_two_blocks_long(data: st.DataObject) -> None:
    """The same property over many more schedules (finds a broken lock in a few minutes)."""
    _run_random_schedule(data)
