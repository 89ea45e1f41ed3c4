"""A child process that commits final blocks into a chain store, as a node's driver does.

``python -m tests.node.chain.store_writer DB FEED``: FEED holds a pickled list of
``(FinalizedBlock, round, ChainState)``; the writer stores, in order, every one above the
store's height and prints each height once it is committed. The crash tests SIGKILL it while
it writes.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from consensus.block import FinalizedBlock
from consensus.state import ChainState
from node.storage.chain_store import ChainStore

Feed = list[tuple[FinalizedBlock, int, ChainState]]


def write_feed(path: Path, feed: Feed) -> None:
    path.write_bytes(pickle.dumps(feed))


def main(db_path: Path, feed_path: Path) -> None:
    feed: Feed = pickle.loads(feed_path.read_bytes())
    store = ChainStore(db_path)
    print("open", flush=True)
    for finalized, round_, state in feed:
        if finalized.block.height > store.get_height():
            store.save_finalized(finalized, round_, state)
            print(finalized.block.height, flush=True)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
