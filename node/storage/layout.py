"""A node's data directory: chain database, blob store and consensus WAL, opened together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from consensus.crypto import compute_hash
from consensus.encoding import encode
from consensus.genesis import Genesis
from consensus.ledger import compute_genesis_state
from consensus.state import ChainState
from node.errors import ConfigError, StorageError
from node.storage.blobs import BlobStore
from node.storage.chain_store import ChainStore
from node.storage.wal import WriteAheadLog


def compute_genesis_hash(genesis: Genesis) -> bytes:
    return compute_hash(encode(genesis))


@dataclass
class Storage:
    """A node's persistent parts under ``data_dir``."""

    store: ChainStore
    blobs: BlobStore
    wal: WriteAheadLog

    @classmethod
    def open(cls, data_dir: Path, *, sync_wal: bool = True) -> Storage:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            store = ChainStore(data_dir / "chain.db")
        except OSError as exc:
            raise StorageError(f"cannot open data directory {data_dir}: {_reason(exc)}") from None
        try:
            return cls(
                store,
                BlobStore(data_dir / "blobs"),
                WriteAheadLog(data_dir / "consensus.wal", sync=sync_wal),
            )
        except OSError as exc:
            store.close()
            raise StorageError(f"cannot open {exc.filename or data_dir}: {_reason(exc)}") from None

    def close(self) -> None:
        self.blobs.close()  # the blobs written behind reach the disk first
        self.wal.close()
        self.store.close()


def load_chain_state(store: ChainStore, genesis: Genesis) -> ChainState:
    """The latest stored state, or the genesis state on first start; refuses another genesis."""
    genesis_hash = compute_genesis_hash(genesis)
    stored = store.get_meta("genesis_hash")
    if stored is None:
        store.set_meta("genesis_hash", genesis_hash)
    elif stored != genesis_hash:
        raise ConfigError(
            f"genesis mismatch: the data directory belongs to genesis {stored.hex()[:16]}, "
            f"the genesis file is {genesis_hash.hex()[:16]}"
        )
    state = store.get_latest_state()
    if state is None:
        return compute_genesis_state(genesis)
    if state.height != store.get_height():
        raise StorageError(f"state at {state.height} but blocks up to {store.get_height()}")
    return state


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
