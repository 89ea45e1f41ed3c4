"""A late joiner becomes a candidate: once synced it bonds, registers and votes for itself.

The transactions are signed with the key in the joiner's home and submitted to its own API
with the nonce the node reports (``next_nonce`` counts its mempool), like ``deltachain tx``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from consensus.crypto import KeyPair
from consensus.transactions import (
    Bond,
    RegisterCandidate,
    SignedTransaction,
    Transaction,
    TxBody,
    VoteCandidates,
)
from node.api.client import ApiClient
from node.api.errors import ApiError
from node.ops.keys import load_key_file

logger = logging.getLogger(__name__)


def compute_join_bodies(key: KeyPair, moniker: str, bond: int) -> tuple[TxBody, ...]:
    """Bond ``bond``, register as candidate ``moniker``, back only itself."""
    return (Bond(bond), RegisterCandidate(moniker), VoteCandidates((key.address,)))


def sign_with_next_nonce(client: ApiClient, key: KeyPair, body: TxBody) -> SignedTransaction:
    params = client.get("/params")
    account = client.get(f"/accounts/{key.address.hex()}")
    fee = int(params["params"]["min_fee"])
    tx = Transaction(params["chain_id"], key.address, int(account["next_nonce"]), fee, body)
    return SignedTransaction(tx, key.sign(tx.sign_bytes()))


@dataclass
class Joiner:
    """One ``join_as_candidate`` node and how far its joining got."""

    name: str
    home: Path
    bond: int
    submitted: list[str] = field(default_factory=list)
    """Hashes of the transactions the node admitted, in order."""

    @property
    def is_submitted(self) -> bool:
        return len(self.submitted) == 3

    def advance(self, client: ApiClient) -> None:
        """Submit the next transactions; stops at the first the node refuses (retried on the
        next call, e.g. a nonce taken by the node's own trainer in between)."""
        key = load_key_file(self.home / "node_key.json")
        bodies = compute_join_bodies(key, self.name, self.bond)
        for body in bodies[len(self.submitted) :]:
            try:
                tx_hash = client.submit_tx(sign_with_next_nonce(client, key, body))
            except (ApiError, KeyError, TypeError, ValueError) as exc:
                logger.info("join tx not admitted yet node=%s error=%s", self.name, exc)
                return
            self.submitted.append(tx_hash)
            logger.info("join tx node=%s kind=%s hash=%s", self.name, type(body).__name__, tx_hash)
