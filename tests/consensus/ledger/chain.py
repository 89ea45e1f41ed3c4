"""Shared builders for the ledger tests: a small devnet and a driver that finalizes blocks.

Tests written as generators yield ``(name, value)`` parts: ``("pre", state)``, the operation
(``("tx", stx)``, ``("block", block)``, ...) and ``("post", state)`` (``None`` when rejected),
in the style of the consensus-specs vectors; ``vector`` runs them and keeps the parts.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Generator, Iterable
from typing import Any

import pytest

from consensus.block import Block, Commit
from consensus.crypto import KeyPair
from consensus.encoding import encode
from consensus.errors import ConsensusError
from consensus.ledger import (
    BlockOutcome,
    build_block,
    compute_genesis_state,
    process_aggregations,
    process_block,
    process_transaction,
)
from consensus.ledger.devnet import make_devnet_genesis, make_keys, sign_commit, sign_transaction
from consensus.params import ChainParams
from consensus.state import ChainState
from consensus.transactions import CreateTask, SignedTransaction, TxBody
from consensus.validators import get_proposer

CHAIN_ID = "ledger-test"
VALIDATORS = make_keys(4)
USERS = make_keys(4, namespace=1)
KEY_BY_ADDRESS = {k.address: k for k in (*VALIDATORS, *USERS)}
STAKE = 1_000_000
BALANCE = 1_000_000_000
GENESIS_TIME = 1_000

SPEC = CreateTask(
    model_id="mlp-mnist",
    initial_model_hash=b"\x11" * 32,
    aggregation={"rule": "fedavg"},
    min_deltas=2,
    max_staleness=1,
    clip_norm=5.0,
    reward_per_delta=100,
    reward_pool=250,
    max_payload_bytes=1_000,
)

Parts = list[tuple[str, Any]]
VECTORS: dict[str, Parts] = {}


def vector(fn: Callable[..., Generator[tuple[str, Any], None, None]]) -> Callable[..., None]:
    """Run a generator test, replay its operation on its pre-state and keep its parts.

    The replay checks that the vector stands on its own: applying the operation to ``pre``
    gives a state with the hash of ``post`` (or raises a ConsensusError when ``post`` is None),
    and every part has a canonical encoding.
    """

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        parts = list(fn(*args, **kwargs))
        names = [name for name, _ in parts]
        assert len(parts) == 3 and names[0] == "pre" and names[2] == "post", names
        replay(parts[0][1], parts[1], parts[2][1])
        for _, value in parts:
            encode(value)
        VECTORS[fn.__name__] = parts

    return run


def replay(pre: ChainState, operation: tuple[str, Any], post: ChainState | None) -> None:
    name, value = operation
    apply: Callable[[ChainState, Any], ChainState] = {
        "tx": process_transaction,
        "block": lambda state, block: process_block(state, block).state,
        "aggregations": process_aggregations,
    }[name]
    if post is None:
        try:
            apply(pre, value)
        except ConsensusError:
            return
        raise AssertionError("the vector expects a rejection")
    assert apply(pre, value).app_hash == post.app_hash


def reject(
    state: ChainState, stx: SignedTransaction, error: type[Exception], match: str
) -> Generator[tuple[str, Any], None, None]:
    """Vector parts for a rejected transaction; checks the error and that ``state`` is intact."""
    before = state.app_hash
    yield "pre", state
    yield "tx", stx
    with pytest.raises(error, match=match):
        process_transaction(state, stx)
    assert dataclasses.replace(state).app_hash == before
    yield "post", None


def make_params(**changes: int) -> ChainParams:
    return dataclasses.replace(ChainParams(), **changes)


def make_state(params: ChainParams | None = None, validators: int = 4) -> ChainState:
    genesis = make_devnet_genesis(
        CHAIN_ID,
        VALIDATORS[:validators],
        params or ChainParams(),
        stake=STAKE,
        balance=BALANCE,
        time_ms=GENESIS_TIME,
        others=USERS,
    )
    return compute_genesis_state(genesis)


def make_tx(key: KeyPair, state: ChainState, body: TxBody, fee: int = 1) -> SignedTransaction:
    """A transaction from ``key`` with its next nonce in ``state``."""
    return sign_transaction(key, CHAIN_ID, state.get_account(key.address).nonce, body, fee)


@dataclasses.dataclass(frozen=True)
class Chain:
    """A test driver: the state and the commit of its last block."""

    state: ChainState
    last_commit: Commit | None = None
    ready_tasks: tuple[int, ...] = ()

    def propose(self, txs: Iterable[SignedTransaction] = ()) -> Block:
        proposer = get_proposer(self.state.validators, 0)
        time_ms = self.state.time_ms + 1_000
        return build_block(self.state, tuple(txs), proposer, time_ms, self.last_commit)

    def apply(self, block: Block, signers: Iterable[KeyPair] | None = None) -> Chain:
        outcome: BlockOutcome = process_block(self.state, block)
        keys = self.signers() if signers is None else tuple(signers)
        commit = sign_commit(keys, CHAIN_ID, block.height, 0, block.hash)
        return Chain(outcome.state, commit, outcome.ready_tasks)

    def next(
        self, txs: Iterable[SignedTransaction] = (), signers: Iterable[KeyPair] | None = None
    ) -> Chain:
        return self.apply(self.propose(txs), signers)

    def signers(self) -> tuple[KeyPair, ...]:
        """Keys of the validators that decide the next height (all of them sign)."""
        return tuple(KEY_BY_ADDRESS[v.address] for v in self.state.validators.validators)
