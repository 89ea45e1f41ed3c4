"""The canonical codec: round trips, strictness, and random bytes never escape DecodeError."""

from __future__ import annotations

import contextlib

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.block import Block, BlockHeader, Commit, CommitSig
from consensus.encoding import decode, encode
from consensus.errors import DecodeError
from consensus.genesis import Genesis
from consensus.messages import Proposal, SignedProposal, SignedVote, Vote, VoteType
from consensus.transactions import (
    Bond,
    CreateTask,
    DoubleSignEvidence,
    ModelDelta,
    RegisterCandidate,
    SignedTransaction,
    Transaction,
    Transfer,
    Unbond,
    VoteCandidates,
)

addresses = st.binary(min_size=32, max_size=32)
hashes = st.binary(min_size=32, max_size=32)
signatures = st.binary(min_size=64, max_size=64)
u64 = st.integers(min_value=0, max_value=2**64 - 1)

votes = st.builds(
    Vote,
    vote_type=st.sampled_from(VoteType),
    height=u64,
    round=u64,
    block_hash=st.none() | hashes,
    validator=addresses,
)
signed_votes = st.builds(SignedVote, vote=votes, signature=signatures)
bodies = st.one_of(
    st.builds(Transfer, recipient=addresses, amount=u64),
    st.builds(Bond, amount=u64),
    st.builds(Unbond, amount=u64),
    st.builds(RegisterCandidate, moniker=st.text(max_size=64)),
    st.builds(VoteCandidates, candidates=st.lists(addresses, max_size=30).map(tuple)),
    st.builds(DoubleSignEvidence, vote_a=signed_votes, vote_b=signed_votes),
    st.builds(
        CreateTask,
        model_id=st.text(max_size=64),
        initial_model_hash=hashes,
        aggregation=st.dictionaries(
            st.text(max_size=10),
            st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False),
            max_size=16,
        ),
        min_deltas=u64,
        max_staleness=u64,
        clip_norm=st.floats(allow_nan=False, allow_infinity=False),
        reward_per_delta=u64,
        reward_pool=u64,
        max_payload_bytes=u64,
    ),
    st.builds(
        ModelDelta,
        task_id=u64,
        base_version=u64,
        payload_hash=hashes,
        payload_size=u64,
        num_samples=u64,
    ),
)
signed_txs = st.builds(
    SignedTransaction,
    tx=st.builds(
        Transaction,
        chain_id=st.text(max_size=64),
        sender=addresses,
        nonce=u64,
        fee=u64,
        body=bodies,
    ),
    signature=signatures,
)
headers = st.builds(
    BlockHeader,
    chain_id=st.text(max_size=64),
    height=u64,
    time_ms=u64,
    proposer=addresses,
    parent_hash=hashes,
    txs_hash=hashes,
    last_commit_hash=hashes,
    app_hash=hashes,
    validators_hash=hashes,
)
commits = st.builds(
    Commit,
    height=u64,
    round=u64,
    block_hash=hashes,
    signatures=st.lists(
        st.builds(CommitSig, validator=addresses, signature=signatures), max_size=5
    ).map(tuple),
)
blocks = st.builds(
    Block,
    header=headers,
    txs=st.lists(signed_txs, max_size=4).map(tuple),
    last_commit=st.none() | commits,
)

WIRE_TYPES = [SignedTransaction, SignedVote, SignedProposal, Block, Commit, Genesis]


@given(signed_txs)
def test_encoding_signed_transaction_round_trips(stx: SignedTransaction) -> None:
    assert decode(SignedTransaction, encode(stx)) == stx


@given(blocks)
@settings(max_examples=50)
def test_encoding_block_round_trips(block: Block) -> None:
    data = encode(block)
    assert decode(Block, data) == block
    assert encode(decode(Block, data)) == data


@given(signed_votes)
def test_encoding_signed_vote_round_trips(vote: SignedVote) -> None:
    assert decode(SignedVote, encode(vote)) == vote


@given(st.binary(max_size=512), st.sampled_from(WIRE_TYPES))
@settings(max_examples=600)
def test_encoding_random_bytes_raise_only_decode_error(data: bytes, cls: type) -> None:
    with contextlib.suppress(DecodeError):
        decode(cls, data)


@given(signed_txs, st.data())
@settings(max_examples=200)
def test_encoding_mutated_transaction_raises_only_decode_error(
    stx: SignedTransaction, data: st.DataObject
) -> None:
    raw = bytearray(encode(stx))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] = data.draw(st.integers(0, 255))
    try:
        decoded = decode(SignedTransaction, bytes(raw))
    except DecodeError:
        return
    assert encode(decoded) == bytes(raw)


def test_encoding_rejects_oversized_input() -> None:
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode(SignedVote, b"\x00" * 2000, max_size=1000)


def test_encoding_rejects_non_canonical_map_order() -> None:
    task = CreateTask("m", bytes(32), {"a": 1, "b": 2}, 1, 1, 1.0, 1, 1, 1)
    canonical = encode(task)
    assert decode(CreateTask, canonical) == task
    swapped = canonical.replace(b"\x61a\x01\x61b\x02", b"\x61b\x02\x61a\x01")
    assert swapped != canonical
    with pytest.raises(DecodeError, match="non-canonical"):
        decode(CreateTask, swapped)


def test_encoding_rejects_non_canonical_integer_width() -> None:
    vote = Vote(VoteType.PREVOTE, 1, 0, None, bytes(32))
    canonical = encode(vote)
    assert canonical[2] == 0x01  # height 1 as a one-byte integer
    padded = canonical[:2] + b"\x18\x01" + canonical[3:]  # same value, two-byte form
    with pytest.raises(DecodeError, match="non-canonical"):
        decode(Vote, padded)


def test_encoding_rejects_wrong_field_sizes() -> None:
    bad = encode([1, 1, 0, None, bytes(31)])
    with pytest.raises(DecodeError, match="expected 32 bytes"):
        decode(Vote, bad)


def test_encoding_rejects_unknown_tags_and_enum_values() -> None:
    tx = Transaction("c", bytes(32), 0, 1, Bond(5))
    obj = cbor2.loads(encode(tx))
    obj[4][0] = 99
    with pytest.raises(DecodeError):
        decode(Transaction, cbor2.dumps(obj, canonical=True))
    with pytest.raises(DecodeError, match="not a valid VoteType"):
        decode(Vote, encode([3, 1, 0, None, bytes(32)]))


def test_encoding_rejects_bool_as_int_and_nan() -> None:
    with pytest.raises(DecodeError, match="expected int"):
        decode(Vote, encode([1, True, 0, None, bytes(32)]))
    spec = cbor2.loads(encode(CreateTask("m", bytes(32), {}, 1, 1, 1.0, 1, 1, 1)))
    spec[1][5] = float("nan")
    with pytest.raises(DecodeError, match="finite float"):
        decode(CreateTask, cbor2.dumps(spec, canonical=True))


def test_encoding_rejects_deep_nesting() -> None:
    deep = b"\x81" * 10_000 + b"\x00"
    with pytest.raises(DecodeError):
        decode(SignedVote, deep)


def test_encoding_rejects_huge_declared_lengths() -> None:
    huge_bytes = b"\x5b" + (2**62).to_bytes(8, "big")  # byte string claiming 2^62 bytes
    huge_array = b"\x9b" + (2**62).to_bytes(8, "big")
    for data in (huge_bytes, huge_array):
        with pytest.raises(DecodeError):
            decode(SignedVote, data)


def test_encoding_proposal_invariant_is_a_decode_error() -> None:
    bad = encode([1, 0, 0, bytes(32), bytes(32)])  # pol_round 0 is not < round 0
    with pytest.raises(DecodeError, match="pol_round"):
        decode(Proposal, bad)
