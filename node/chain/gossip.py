"""What the node gossips, and how it validates what it receives before it is forwarded.

Every gossip message is ``[resend, value]`` in canonical CBOR: ``resend`` lets a node re-send a
vote or proposal that peers may have missed (gossipsub drops repeats of identical bytes for two
minutes). Validation answers ACCEPT, IGNORE (could be valid later, or stale) or REJECT (provably
bad: malformed bytes, a bad signature, a non-validator's vote), and the network scores REJECTs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final, TypeVar

from consensus.bft.events import ProposalMessage
from consensus.bft.state import ConsensusState
from consensus.encoding import decode_plain, encode, from_obj
from consensus.errors import DecodeError
from consensus.messages import SignedVote
from consensus.transactions import MAX_TRANSACTION_BYTES, ModelDelta, SignedTransaction
from node.network.values import PeerId, Verdict

T = TypeVar("T")
MAX_VOTE_GOSSIP: Final = 1024
MAX_PROPOSAL_GOSSIP: Final = 60 * 1024
MAX_TX_GOSSIP: Final = MAX_TRANSACTION_BYTES + 64
MAX_INLINE_PAYLOAD: Final = 32 * 1024
"""A delta payload up to this size travels with its transaction (``[resend, tx, payload]``):
every node needs it to aggregate, and a proposal that names it then needs no fetch. Larger
payloads are fetched by hash (the blob protocol); gossip stays under 64 KiB per message."""
MAX_TX_WITH_PAYLOAD_GOSSIP: Final = MAX_TX_GOSSIP + MAX_INLINE_PAYLOAD + 16
MAX_RESEND: Final = 1 << 32


def encode_gossip(value: object, resend: int = 0) -> bytes:
    return encode([resend, value])


def decode_gossip(cls: type[T], data: bytes, max_size: int) -> T:
    """The value in a gossip message; anything malformed raises DecodeError."""
    obj: Any = decode_plain(data, max_size)
    if not isinstance(obj, list) or len(obj) != 2 or not isinstance(obj[0], int):
        raise DecodeError("gossip message is not [resend, value]")
    if not 0 <= obj[0] < MAX_RESEND:
        raise DecodeError("gossip resend counter out of range")
    return from_obj(cls, obj[1])


def encode_tx_gossip(stx: SignedTransaction, payload: bytes | None, resend: int = 0) -> bytes:
    """A transaction on the txs topic, with its delta payload when it is small enough."""
    if payload is None or len(payload) > MAX_INLINE_PAYLOAD:
        return encode([resend, stx])
    return encode([resend, stx, payload])


def decode_tx_gossip(data: bytes) -> tuple[SignedTransaction, bytes | None]:
    """The transaction and its inline payload (None when it has none). Raises DecodeError for
    anything malformed, and for a payload that is not the one its ModelDelta names."""
    obj: Any = decode_plain(data, MAX_TX_WITH_PAYLOAD_GOSSIP)
    if not isinstance(obj, list) or len(obj) not in {2, 3} or not isinstance(obj[0], int):
        raise DecodeError("tx gossip is not [resend, tx] or [resend, tx, payload]")
    if not 0 <= obj[0] < MAX_RESEND:
        raise DecodeError("gossip resend counter out of range")
    stx = from_obj(SignedTransaction, obj[1])
    if len(obj) == 2:
        return stx, None
    payload = obj[2]
    body = stx.tx.body
    if not isinstance(payload, bytes) or len(payload) > MAX_INLINE_PAYLOAD:
        raise DecodeError(f"inline payload must be bytes of at most {MAX_INLINE_PAYLOAD}")
    if not isinstance(body, ModelDelta):
        raise DecodeError("only a model delta carries an inline payload")
    if len(payload) != body.payload_size or hashlib.sha256(payload).digest() != body.payload_hash:
        raise DecodeError("inline payload is not the one the delta names")
    return stx, payload


StateView = Callable[[], ConsensusState]


class GossipValidators:
    """Topic validators that read the node's current consensus state."""

    def __init__(self, view: StateView) -> None:
        self._view = view

    def validate_tx(self, _peer: PeerId, data: bytes) -> Verdict:
        try:
            stx, _payload = decode_tx_gossip(data)
        except DecodeError:
            return Verdict.REJECT
        state = self._view()
        if stx.tx.chain_id != state.chain.chain_id or not stx.is_signature_valid():
            return Verdict.REJECT
        if stx.tx.nonce < state.chain.get_account(stx.tx.sender).nonce:
            return Verdict.IGNORE
        return Verdict.ACCEPT

    def validate_vote(self, _peer: PeerId, data: bytes) -> Verdict:
        try:
            signed = decode_gossip(SignedVote, data, MAX_VOTE_GOSSIP)
        except DecodeError:
            return Verdict.REJECT
        state, vote = self._view(), signed.vote
        if not state.height <= vote.height <= state.height + 1:
            return Verdict.IGNORE
        if vote.height == state.height and vote.validator not in state.validators:
            return Verdict.REJECT
        if not signed.is_signature_valid(state.chain.chain_id):
            return Verdict.REJECT
        return Verdict.ACCEPT

    def validate_proposal(self, _peer: PeerId, data: bytes) -> Verdict:
        try:
            message = decode_gossip(ProposalMessage, data, MAX_PROPOSAL_GOSSIP)
        except DecodeError:
            return Verdict.REJECT
        state, proposal = self._view(), message.signed.proposal
        if message.block.hash != proposal.block_hash or message.block.height != proposal.height:
            return Verdict.REJECT
        if not state.height <= proposal.height <= state.height + 1:
            return Verdict.IGNORE
        if proposal.height == state.height and proposal.proposer not in state.validators:
            return Verdict.REJECT
        if not message.signed.is_signature_valid(state.chain.chain_id):
            return Verdict.REJECT
        return Verdict.ACCEPT
