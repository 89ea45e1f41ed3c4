"""Refuse to start a validator whose store is behind what it already signed, with no way back.

A crash that loses the newest part of the chain database (a deleted or truncated SQLite
``-wal`` file, a restored old backup) restarts the node at an older height than its signer's
last signature. The signer rightly refuses to sign below that position, so without help the
node would sit at prevote forever. With peers, block sync fetches the missing final blocks
(every commit checked) and the node votes again once it has passed the height it signed. With
no peer to ask, the node stops at start with one line saying what is wrong and how to recover.
"""

from __future__ import annotations

import logging
from pathlib import Path

from node.chain.signer import load_last_signed
from node.errors import StorageError

logger = logging.getLogger(__name__)


def validate_store_not_behind_signer(
    store_height: int, signer_path: Path, *, has_peers: bool
) -> None:
    """Raise StorageError if the signer signed beyond the store's next height and no peer can
    serve the missing blocks; log a warning if peers can."""
    last = load_last_signed(signer_path)
    if last is None or last.height <= store_height + 1:
        return
    gap = f"the store ends at height {store_height} but this node signed at height {last.height}"
    if has_peers:
        logger.warning("%s: syncing the missing final blocks from peers before voting", gap)
        return
    raise StorageError(
        f"{gap}: its newest final blocks are lost (a deleted or truncated chain.db-wal, or an "
        "old backup?) and no peer is configured to sync them from; add peers that hold the "
        "chain ([p2p] bootstrap) and start again, or restore the data directory"
    )
