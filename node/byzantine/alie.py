"""``[training] attack = "alie"``: "A little is enough" (Baruch et al., NeurIPS 2019) on a node.

The attacker estimates the benign deltas' per-coordinate mean and standard deviation from the
payloads of the deltas accepted into the latest aggregated model version (the node holds them:
it aggregated them itself), and sends mean - z * std (``ml.attacks.little_is_enough``) instead
of its own delta. Until a version with at least two benign deltas exists it sends its honest
delta, so it is indistinguishable from an honest trainer until it has something to hide behind.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from consensus.transactions import ModelDelta, SignedTransaction
from ml.attacks import little_is_enough
from ml.codec.delta import decode_delta
from ml.errors import AttackError, CodecError
from ml.types import Float32Array
from node.storage.chain_store import Contribution, TxLocation

logger = logging.getLogger(__name__)

ALIE_BYZANTINE = 1
"""Attackers assumed by z (this node); the benign count is what the chain shows."""


class DeltaSource(Protocol):
    """What ALIE reads from the node (``ChainNode`` provides it)."""

    def get_contributions(self, task_id: int, version: int) -> list[Contribution]: ...

    def find_transaction(self, tx_hash: bytes) -> tuple[TxLocation, SignedTransaction] | None: ...

    def get_blob(self, blob_hash: bytes) -> bytes | None: ...


def collect_benign_deltas(
    source: DeltaSource, task_id: int, version: int, attacker: bytes, size: int
) -> list[Float32Array]:
    """The accepted deltas of ``version`` by others than ``attacker`` that decode to ``size``."""
    rows: list[Float32Array] = []
    for contribution in source.get_contributions(task_id, version):
        if not contribution.accepted or contribution.sender == attacker:
            continue
        values = _load_delta(source, contribution.tx_hash)
        if values is not None and values.size == size:
            rows.append(values)
    return rows


def _load_delta(source: DeltaSource, tx_hash: bytes) -> Float32Array | None:
    found = source.find_transaction(tx_hash)
    if found is None or not isinstance(found[1].tx.body, ModelDelta):
        return None
    payload = source.get_blob(found[1].tx.body.payload_hash)
    if payload is None:
        return None
    try:
        return decode_delta(payload).values
    except CodecError as exc:
        logger.debug("alie: skipping undecodable delta tx=%s: %s", tx_hash.hex()[:12], exc)
        return None


def compute_alie_delta(
    source: DeltaSource, task_id: int, version: int, attacker: bytes, honest: Float32Array
) -> Float32Array:
    """The ALIE delta estimated from ``version``'s benign deltas, else ``honest``."""
    rows = collect_benign_deltas(source, task_id, version, attacker, honest.size)
    if len(rows) < 2:
        logger.info(
            "alie: %d benign deltas known for version=%d, sending honest", len(rows), version
        )
        return honest
    try:
        malicious = little_is_enough(np.stack(rows), len(rows) + ALIE_BYZANTINE, ALIE_BYZANTINE)
    except AttackError as exc:
        logger.info("alie: no attack for version=%d (%s), sending honest", version, exc)
        return honest
    logger.info("alie: sending the attack from %d benign deltas of version=%d", len(rows), version)
    return malicious
