"""``withholder``: announces its model deltas, never serves their payloads.

Its trainer submits delta transactions as usual; the node remembers each payload hash it
announced and answers every peer's blob request for one of them with "not found". Honest nodes
admit a gossiped delta only once they hold its payload and prevote only for blocks whose
payloads they hold (the data-availability gate), so these deltas are never aggregated, and a
block this node proposes with one of them fails its round while the next proposer's succeeds.
"""

from __future__ import annotations

from consensus.crypto import KeyPair
from consensus.transactions import ModelDelta, SignedTransaction
from node.byzantine.base import Misbehaviour
from node.byzantine.roles import Role


class Withholder(Misbehaviour):
    """See the module docstring."""

    role = Role.WITHHOLDER

    def __init__(self, key: KeyPair, chain_id: str) -> None:
        super().__init__(key, chain_id)
        self.withheld: set[bytes] = set()
        """Payload hashes of the deltas this node announced (32 bytes each)."""

    def on_submitted(self, stx: SignedTransaction) -> None:
        body = stx.tx.body
        if isinstance(body, ModelDelta) and stx.tx.sender == self.key.address:
            self.withheld.add(body.payload_hash)
            self.record("delta_announced")

    def withholds_blob(self, blob_hash: bytes) -> bool:
        if blob_hash not in self.withheld:
            return False
        self.record("blob_withheld")
        return True
