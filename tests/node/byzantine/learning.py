"""A four-node learning network for the byzantine tests: a task, deltas, their payloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from consensus.crypto import KeyPair
from consensus.ledger.devnet import make_keys, sign_transaction
from consensus.transactions import ModelDelta
from ml.codec.delta import CodecConfig, encode_delta
from ml.models import get_model_spec
from ml.types import Float32Array
from node.chain.chain_node import ChainNode
from node.ops.testnet import TaskOptions, TestnetOptions, build_genesis, build_task
from node.storage.blobs import BlobStore

CHAIN_ID = "bzlearn"
MODEL = "logreg-digits"
KEYS = list(make_keys(4, namespace=703))
OPTIONS = TestnetOptions(  # n - f = 3 deltas per version: one missing delta never stalls it
    validators=4, chain_id=CHAIN_ID, task=TaskOptions(model_id=MODEL, min_deltas=3)
)
TASK, SNAPSHOT = build_task(OPTIONS)
GENESIS = build_genesis(OPTIONS, KEYS, TASK)


def seed_snapshot(home: Path) -> None:
    """Give one node the initial model (the others fetch it by hash)."""
    BlobStore(home / "blobs").put(SNAPSHOT)


def make_delta_values(index: int, version: int) -> Float32Array:
    spec = get_model_spec(MODEL)
    rng = np.random.Generator(np.random.PCG64(1000 * version + index))
    values: Float32Array = rng.normal(0, 0.01, spec.num_params).astype(np.float32)
    return values


def encode_values(values: Float32Array) -> bytes:
    spec = get_model_spec(MODEL)
    return encode_delta(values, spec.model_id, spec.shapes, CodecConfig())


async def submit_delta(node: ChainNode, key: KeyPair, index: int, version: int) -> bytes:
    """Store a delta for ``version`` on ``node`` and announce it; the transaction's hash."""
    payload = encode_values(make_delta_values(index, version))
    payload_hash = node.put_blob(payload)
    body = ModelDelta(1, version, payload_hash, len(payload), 100 + index)
    stx = sign_transaction(key, CHAIN_ID, node.get_next_nonce(key.address), body)
    await node.submit_transaction(stx)
    return stx.hash


def get_version(node: ChainNode) -> int:
    return node.get_chain_state().tasks[1].version
