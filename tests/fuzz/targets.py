"""Fuzz targets: every decoder that reads bytes from outside the node.

Each target feeds one input to one decoder and lets through only the errors the decoder
documents (``expected``); anything else, a hang included, is a crash. ``scripts/fuzz.py`` runs
them under Atheris with coverage; ``tests/fuzz/test_fuzz.py`` replays the kept corpus and runs a
short coverage-guided session per target in the default suite.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from consensus.bft.events import ProposalMessage
from consensus.block import FinalizedBlock
from consensus.encoding import decode
from consensus.errors import DecodeError
from consensus.genesis import Genesis
from consensus.messages import SignedVote
from consensus.transactions import SignedTransaction
from ml.codec.delta import decode_delta
from ml.errors import CodecError, WeightsError
from ml.snapshot import decode_weights
from node.api import ApiApp, exchange_bytes
from node.chain.gossip import (
    MAX_PROPOSAL_GOSSIP,
    MAX_TX_GOSSIP,
    MAX_VOTE_GOSSIP,
    decode_gossip,
    decode_tx_gossip,
)
from node.errors import ConfigError
from node.network import codec
from node.network.errors import MalformedFrameError
from node.network.memory import MemoryHub
from node.ops.config import load_config
from node.ops.genesis_file import load_genesis

MAX_BLOCK_BYTES = 64 << 20
HTTP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Target:
    """One decoder under fuzzing."""

    name: str
    run: Callable[[bytes], object]
    expected: tuple[type[BaseException], ...]
    what: str


def fuzz_wire(data: bytes) -> object:
    """Canonical CBOR wire types, the first byte choosing the type."""
    kinds = (SignedTransaction, SignedVote, ProposalMessage, FinalizedBlock, Genesis)
    if not data:
        return None
    kind = kinds[data[0] % len(kinds)]
    return decode(kind, data[1:], MAX_BLOCK_BYTES)


def fuzz_gossip(data: bytes) -> object:
    """Gossip envelopes ``[resend, value]`` on the three topics; a transaction's may carry its
    delta payload (``[resend, tx, payload]``)."""
    topics = (
        (SignedVote, MAX_VOTE_GOSSIP),
        (ProposalMessage, MAX_PROPOSAL_GOSSIP),
        (SignedTransaction, MAX_TX_GOSSIP),
    )
    if not data:
        return None
    kind, limit = topics[data[0] % len(topics)]
    if kind is SignedTransaction:
        return decode_tx_gossip(data[1:])
    return decode_gossip(kind, data[1:], limit)


def fuzz_reqresp(data: bytes) -> object:
    """Request/response frames: requests, responses, block lists and status bodies."""
    decoders: tuple[Callable[[bytes], object], ...] = (
        codec.decode_blob_request,
        codec.decode_blocks_request,
        codec.decode_status_request,
        codec.decode_response,
        codec.decode_blocks,
        codec.decode_status,
    )
    if not data:
        return None
    return decoders[data[0] % len(decoders)](data[1:])


def fuzz_delta(data: bytes) -> object:
    return decode_delta(data, max_params=1 << 20, max_bytes=8 << 20)


def fuzz_snapshot(data: bytes) -> object:
    return decode_weights(data, max_params=1 << 20)


_SCRATCH = tempfile.TemporaryDirectory(prefix="fuzz-files-")


def fuzz_file(name: str, read: Callable[[Path], object], data: bytes) -> object:
    """Write ``data`` as the file ``name`` in one scratch home (reused: a fresh directory per
    input made these targets ten times slower) and read it the way the node does."""
    home = Path(_SCRATCH.name)
    (home / name).write_bytes(data)
    return read(home if name == "config.toml" else home / name)


def fuzz_config(data: bytes) -> object:
    return fuzz_file("config.toml", load_config, data)


def fuzz_genesis(data: bytes) -> object:
    return fuzz_file("genesis.cbor", load_genesis, data)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("wire", fuzz_wire, (DecodeError,), "canonical CBOR of tx, vote, proposal, block"),
        Target("gossip", fuzz_gossip, (DecodeError,), "gossip envelopes of the three topics"),
        Target("reqresp", fuzz_reqresp, (MalformedFrameError,), "blob/block/status frames"),
        Target("delta", fuzz_delta, (CodecError,), "the model-delta codec"),
        Target("snapshot", fuzz_snapshot, (WeightsError,), "model snapshots"),
        Target("config", fuzz_config, (ConfigError,), "config.toml files"),
        Target("genesis", fuzz_genesis, (ConfigError,), "genesis.cbor files"),
    )
}
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


def check_http_reply(reply: bytes) -> None:
    """A reply is empty or HTTP/1.1 responses, none of them a server error."""
    if not reply:
        return
    if not reply.startswith(b"HTTP/1.1 "):
        raise AssertionError(f"reply is not HTTP: {reply[:40]!r}")
    for status in STATUS_LINE.findall(reply):
        if int(status) >= 500 and int(status) != 505:
            raise AssertionError(f"server error {int(status)} for a client's bytes")


class HttpTarget:
    """The HTTP request parser and router of a real node's API (built on first use)."""

    def __init__(self) -> None:
        self._app: ApiApp | None = None
        self._home: tempfile.TemporaryDirectory[str] | None = None

    def _get_app(self) -> ApiApp:
        if self._app is None:
            from tests.node.api.cluster import KEYS, make_node

            self._home = tempfile.TemporaryDirectory()
            node = make_node(MemoryHub(), KEYS[0], Path(self._home.name), KEYS)
            self._app = ApiApp(node, token="fuzz-token")
        return self._app

    def __call__(self, data: bytes) -> object:
        app = self._get_app()

        async def exchange() -> bytes:
            with trio.fail_after(HTTP_TIMEOUT_S):
                return await exchange_bytes(app, data)

        reply = trio.run(exchange)
        check_http_reply(reply)
        return reply


TARGETS["http"] = Target("http", HttpTarget(), (), "HTTP requests to a node's API")
