"""The aggregator keeps only the newest few models in memory: one model per version used to
stay cached for the life of the node (a soak grew ~1 GiB an hour)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trio

from consensus.bft.events import AggregationsDone
from ml.snapshot import compute_model_hash, encode_weights
from node.chain.aggregator import CACHED_MODELS, Aggregator
from node.storage.blobs import BlobStore
from node.storage.chain_store import ChainStore


async def test_aggregator_cache_holds_the_newest_models_only(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    store = ChainStore(tmp_path / "chain.db")
    inbox, _ = trio.open_memory_channel[AggregationsDone](1)

    async def fetch_local(blob_hash: bytes, max_size: int, senders: Sequence[bytes] = ()) -> bool:
        return blobs.has(blob_hash)  # what the node's fetch answers for a blob it holds

    aggregator = Aggregator(blobs, store, fetch_local, inbox)
    hashes = []
    for version in range(10):
        weights = np.full(1000, version, dtype=np.float32)
        blobs.put(encode_weights(weights))
        hashes.append(compute_model_hash(weights))
        loaded = await aggregator.load_weights(hashes[-1])
        assert float(loaded[0]) == version
    assert aggregator.cached_models == CACHED_MODELS
    oldest = await aggregator.load_weights(hashes[0])  # evicted: read back from the blob store
    assert float(oldest[0]) == 0.0 and aggregator.cached_models == CACHED_MODELS
    store.close()
