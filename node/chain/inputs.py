"""The consensus driver's inputs and their write-ahead-log records.

Each record is the canonical CBOR of ``[kind, value]``; replay decodes it strictly, so a record
that does not decode is reported as corrupt storage rather than fed to the engine.
"""

from __future__ import annotations

from typing import Any, Final

from consensus.bft.events import AggregationsDone, ProposalMessage, ProposalTxs, Timeout
from consensus.block import FinalizedBlock
from consensus.encoding import decode_plain, encode, from_obj
from consensus.errors import DecodeError
from consensus.messages import SignedVote
from node.errors import StorageError

DriverInput = (
    ProposalMessage | SignedVote | Timeout | ProposalTxs | AggregationsDone | FinalizedBlock
)

INPUT_KINDS: Final[dict[str, type[Any]]] = {
    "proposal": ProposalMessage,
    "vote": SignedVote,
    "timeout": Timeout,
    "proposal_txs": ProposalTxs,
    "aggregations": AggregationsDone,
    "finalized": FinalizedBlock,
}
_KIND_OF: Final = {cls: kind for kind, cls in INPUT_KINDS.items()}
MAX_RECORD_BYTES: Final = 16 << 20


def encode_input(item: DriverInput) -> bytes:
    return encode([_KIND_OF[type(item)], item])


def decode_input(record: bytes) -> DriverInput:
    """The input in a WAL record; a malformed record raises StorageError."""
    try:
        obj = decode_plain(record, MAX_RECORD_BYTES)
        if not isinstance(obj, list) or len(obj) != 2 or obj[0] not in INPUT_KINDS:
            raise DecodeError("not a [kind, value] record")
        value: DriverInput = from_obj(INPUT_KINDS[obj[0]], obj[1])
    except DecodeError as exc:
        raise StorageError(f"corrupt consensus WAL record: {exc}") from exc
    return value
