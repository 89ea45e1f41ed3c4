"""Shared pieces of the hostile blob peers (in memory: ``hostile_memory``; real: ``silent_peer``).

Test and benchmark tools only: they reproduce issue 12's "silent peer" and "peer without the
blob protocol" against honest nodes.
"""

import enum
import hashlib
from collections.abc import Iterable

from node.network.peer_id import compute_peer_id
from node.network.values import PeerId


class BlobBehaviour(enum.Enum):
    """How a hostile peer treats blob requests."""

    SILENT = "silent"
    """Speaks the blob protocol, takes every request and never answers."""
    NO_PROTOCOL = "no-protocol"
    """Does not speak the blob protocol: every request fails at once."""


def find_seed_sorting_first(others: Iterable[PeerId], label: bytes) -> bytes:
    """A key seed whose peer id sorts before every id in ``others`` (the attacker's choice in
    issue 12: nodes used to ask connected peers in peer-id order)."""
    smallest = min(others)
    for index in range(100_000):
        seed = hashlib.sha256(label + b"-%d" % index).digest()
        if compute_peer_id(seed) < smallest:
            return seed
    raise ValueError(f"no seed found whose peer id sorts before {smallest}")
