"""Who is directly connected to whom: the announcements behind direct delivery.

Every node gossips, on one topic per chain, the peers its pubsub is connected to (a
``NeighbourList``, numbered by ``seq`` so that a later list replaces an earlier one whatever
path each took). A node that forwards a message consults the lists it holds: a peer that
announced the message's origin among its neighbours gets the message straight from the origin,
which sends its own messages to every connected subscriber, so the forwarder sends that peer
only the message's id at its next heartbeat (see :mod:`node.network.libp2p_direct`).

A list only ever changes what is sent to the peer that announced it, so a peer that lies about
its neighbours can only make itself receive less. Pure code: no libp2p, no I/O.
"""

from collections import OrderedDict
from dataclasses import dataclass

import cbor2

from node.network.errors import NetworkError

MAX_NEIGHBOURS = 1024
"""The most peers one list may name (a node keeps far fewer connections)."""
MAX_PEER_ID_BYTES = 64
"""The longest peer id a list may hold (an Ed25519 libp2p id is 38 bytes)."""
MAX_LIST_BYTES = 4 + MAX_NEIGHBOURS * (MAX_PEER_ID_BYTES + 2) + 32
"""No encoded list is longer than this."""
MAX_REMEMBERED_LISTS = 4096
"""The book forgets the least recently announced lists beyond this many."""
_MAX_SEQ = 2**64 - 1


class NeighboursError(NetworkError):
    """A neighbour list that does not decode or breaks a limit."""


@dataclass(frozen=True)
class NeighbourList:
    """The peers one node's pubsub was connected to at ``seq`` (nanoseconds, increasing)."""

    seq: int
    peers: frozenset[bytes]


def get_neighbours_topic(chain_id: str) -> str:
    """The gossip topic of the lists, e.g. ``/deltachain/<chain_id>/neighbours/1``."""
    return f"/deltachain/{chain_id}/neighbours/1"


def encode_neighbours(listing: NeighbourList) -> bytes:
    """Canonical CBOR: ``[seq, [peer id, ...]]`` with the ids sorted."""
    check_neighbours(listing)
    return cbor2.dumps([listing.seq, sorted(listing.peers)], canonical=True)


def decode_neighbours(data: bytes) -> NeighbourList:
    """Decode a list; raise :class:`NeighboursError` on anything malformed or too large."""
    if len(data) > MAX_LIST_BYTES:
        raise NeighboursError(f"neighbour list of {len(data)} bytes > {MAX_LIST_BYTES}")
    try:
        value = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises several types for bad input
        raise NeighboursError(f"neighbour list is not CBOR: {exc}") from exc
    if not isinstance(value, list) or len(value) != 2:
        raise NeighboursError("neighbour list must be [seq, [peer id, ...]]")
    seq, peers = value
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(peers, list):
        raise NeighboursError("neighbour list must be [seq, [peer id, ...]]")
    if not all(isinstance(peer, bytes) for peer in peers):
        raise NeighboursError("a peer id in a neighbour list is not bytes")
    listing = NeighbourList(seq, frozenset(peers))
    if len(listing.peers) != len(peers):
        raise NeighboursError("neighbour list names a peer twice")
    check_neighbours(listing)
    return listing


def check_neighbours(listing: NeighbourList) -> None:
    if not 0 <= listing.seq <= _MAX_SEQ:
        raise NeighboursError(f"neighbour list seq {listing.seq} out of range")
    if len(listing.peers) > MAX_NEIGHBOURS:
        raise NeighboursError(f"neighbour list names {len(listing.peers)} > {MAX_NEIGHBOURS}")
    for peer in listing.peers:
        if not 0 < len(peer) <= MAX_PEER_ID_BYTES:
            raise NeighboursError(f"peer id of {len(peer)} bytes in a neighbour list")


class NeighbourBook:
    """The latest list of each announcing peer, keyed by raw peer id bytes."""

    def __init__(self, max_lists: int = MAX_REMEMBERED_LISTS) -> None:
        self._lists: OrderedDict[bytes, NeighbourList] = OrderedDict()
        self._max_lists = max_lists

    def __len__(self) -> int:
        return len(self._lists)

    def update(self, peer: bytes, listing: NeighbourList) -> bool:
        """Keep ``listing`` unless the book holds a later one from ``peer``; True if kept."""
        held = self._lists.get(peer)
        if held is not None and held.seq >= listing.seq:
            return False
        self._lists[peer] = listing
        self._lists.move_to_end(peer)
        while len(self._lists) > self._max_lists:
            self._lists.popitem(last=False)
        return True

    def forget(self, peer: bytes) -> None:
        self._lists.pop(peer, None)

    def get(self, peer: bytes) -> NeighbourList | None:
        return self._lists.get(peer)

    def reaches_directly(self, peer: bytes, origin: bytes) -> bool:
        """Whether ``peer`` announced ``origin`` among the peers it is connected to."""
        listing = self._lists.get(peer)
        return listing is not None and origin in listing.peers
