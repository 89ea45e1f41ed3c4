"""Catch-up sync: fetch the finalized blocks a peer has and we lack, in ranges.

This is the network side only: the blocks are opaque bytes appended to a store. The node
shell replaces the store with its own (verify each commit, then apply).
"""

import logging

from node.network.port import NetworkPort
from node.network.store import MemoryStore
from node.network.values import PeerId

logger = logging.getLogger(__name__)


async def fetch_missing_blocks(net: NetworkPort, store: MemoryStore, peer: PeerId) -> int:
    """Fetch blocks above our height up to the peer's; returns our new height."""
    status = await net.fetch_status(peer)
    if status.chain_id != store.chain_id or status.genesis_hash != store.genesis_hash:
        logger.warning("peer on another chain peer=%s chain=%s", peer, status.chain_id)
        return store.get_height()
    while store.get_height() < status.height:
        start = store.get_height() + 1
        items = await net.fetch_blocks(peer, start, status.height)
        if not items:
            break
        store.blocks.extend(items)
    return store.get_height()
