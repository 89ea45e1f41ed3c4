"""Valid inputs that start each fuzz target's corpus (``scripts/fuzz.py --write-seeds``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from consensus.block import Block, BlockHeader, Commit, CommitSig, FinalizedBlock
from consensus.encoding import encode
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_transaction
from consensus.messages import SignedVote, Vote, VoteType
from consensus.transactions import Evaluation, ModelDelta, Transfer
from ml.codec.delta import CodecConfig, encode_delta
from ml.snapshot import encode_weights
from node.chain.gossip import encode_gossip, encode_tx_gossip
from node.network import codec
from node.network.values import Status
from node.ops.config import NodeConfig, render_config

KEYS = make_keys(2, namespace=91)


def make_vote() -> SignedVote:
    vote = Vote(VoteType.PREVOTE, 3, 0, b"\x01" * 32, KEYS[0].address)
    return SignedVote(vote, KEYS[0].sign(vote.sign_bytes("fuzz")))


def make_block() -> FinalizedBlock:
    header = BlockHeader("fuzz", 1, 5, KEYS[0].address, *([b"\x02" * 32] * 5))
    block = Block(header, (), None)
    return FinalizedBlock(block, Commit(1, 0, block.hash, (CommitSig(KEYS[0].address, b"s" * 64),)))


def compute_seeds() -> dict[str, list[bytes]]:
    """Target name -> seed inputs."""
    tx = sign_transaction(KEYS[0], "fuzz", 0, Transfer(KEYS[1].address, 5))
    report = Evaluation(samples=20, correct=15, loss_micro=350_000)
    delta = ModelDelta(1, 0, b"\x04" * 32, 100, 10, report)
    delta_tx = sign_transaction(KEYS[0], "fuzz", 1, delta)
    payload = b"delta payload" * 8
    inline = ModelDelta(1, 0, hashlib.sha256(payload).digest(), len(payload), 10, report)
    inline_tx = sign_transaction(KEYS[0], "fuzz", 2, inline)
    genesis = make_devnet_genesis("fuzz", KEYS)
    values = np.linspace(-1, 1, 12, dtype=np.float32)
    return {
        "wire": [
            b"\x00" + encode(tx),
            b"\x00" + encode(delta_tx),
            b"\x01" + encode(make_vote()),
            b"\x03" + encode(make_block()),
        ],
        "gossip": [
            b"\x00" + encode_gossip(make_vote()),
            b"\x02" + encode_gossip(tx, 3),
            b"\x02" + encode_gossip(delta_tx, 3),
            b"\x02" + encode_tx_gossip(inline_tx, payload, 2),
        ],
        "reqresp": [
            b"\x00" + codec.encode_blob_request(codec.BlobRequest(b"\x07" * 32, 1 << 20)),
            b"\x01" + codec.encode_blocks_request(codec.BlocksRequest(1, 9)),
            b"\x03" + codec.encode_response(codec.Code.OK, b"body"),
            b"\x04" + codec.encode_blocks([encode(make_block())]),
            b"\x05" + codec.encode_status(Status("fuzz", b"\x03" * 32, 7)),
        ],
        "delta": [
            encode_delta(values, "m", ((3, 4),), CodecConfig()),
            encode_delta(values, "m", ((12,),), CodecConfig("int8")),
        ],
        "snapshot": [encode_weights(values)],
        "config": [render_config(NodeConfig(home=Path("."))).encode()],
        "genesis": [encode(genesis)],
        "http": [
            b"GET /status HTTP/1.1\r\nhost: n\r\n\r\n",
            b"GET /blocks/1 HTTP/1.1\r\nhost: n\r\n\r\n",
            b"POST /txs HTTP/1.1\r\nhost: n\r\ncontent-type: application/json\r\n"
            b'content-length: 10\r\n\r\n{"tx": ""}',
        ],
    }
