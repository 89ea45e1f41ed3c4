"""Consensus benchmarks, written as JSON (default ``reports/bench_consensus.json``).

1. Signed transactions per second through decode + signature check + ``process_transaction``
   on one core: N transfers among many accounts are generated, signed and encoded first; only
   decoding and applying them is timed (target >= 5,000/s).
2. Simulator speed: 21 validators x 1,000 heights and 100 validators x 100 heights, honest,
   with the simulator's caching verifier (target <= 60 s each).

Usage: ``.venv/bin/python scripts/bench_consensus.py [--out PATH] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from consensus.crypto import KeyPair
from consensus.encoding import decode, encode
from consensus.genesis import Genesis, GenesisAccount, GenesisCandidate
from consensus.ledger import compute_genesis_state, process_transaction
from consensus.params import ChainParams
from consensus.state import ChainState
from consensus.transactions import SignedTransaction, Transaction, Transfer
from node.sim import SimConfig, Simulation

CHAIN_ID = "deltachain-bench"
TX_TARGET_PER_S = 5_000
SIM_TARGET_S = 60.0


def build_accounts(count: int) -> tuple[tuple[KeyPair, ...], ChainState]:
    keys = tuple(KeyPair.from_seed(i.to_bytes(32, "big")) for i in range(1, count + 1))
    accounts = tuple(GenesisAccount(k.address, balance=10**12) for k in keys)
    validator = GenesisAccount(
        keys[0].address, balance=10**12, bonded=10**6, votes=(keys[0].address,)
    )
    genesis = Genesis(
        CHAIN_ID,
        0,
        ChainParams(),
        (validator, *accounts[1:]),
        (GenesisCandidate(keys[0].address, "validator"),),
    )
    return keys, compute_genesis_state(genesis)


def build_transfers(keys: tuple[KeyPair, ...], count: int) -> list[bytes]:
    """``count`` encoded signed transfers, round-robin over senders, each to the next account."""
    nonces = [0] * len(keys)
    encoded = []
    for i in range(count):
        s = i % len(keys)
        body = Transfer(keys[(s + 1) % len(keys)].address, 1 + i % 7)
        tx = Transaction(CHAIN_ID, keys[s].address, nonces[s], 1, body)
        nonces[s] += 1
        encoded.append(encode(SignedTransaction(tx, keys[s].sign(tx.sign_bytes()))))
    return encoded


def bench_transactions(count: int, accounts: int) -> dict[str, Any]:
    keys, state = build_accounts(accounts)
    encoded = build_transfers(keys, count)
    started, cpu_started = time.perf_counter(), time.process_time()
    for data in encoded:
        state = process_transaction(state, decode(SignedTransaction, data))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rate = count / seconds
    return {
        "transactions": count,
        "accounts": accounts,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "tx_per_second": round(rate, 1),
        "tx_per_cpu_second": round(count / cpu_seconds, 1),
        "us_per_tx": round(1e6 / rate, 1),
        "target_tx_per_second": TX_TARGET_PER_S,
        "meets_target": rate >= TX_TARGET_PER_S,
        "measures": "decode (strict CBOR) + Ed25519 verify + process_transaction",
    }


def bench_simulation(validators: int, heights: int) -> dict[str, Any]:
    config = SimConfig(validators=validators, heights=heights)
    sim = Simulation(config, seed=1)
    cpu_started = time.process_time()
    result = sim.run()
    cpu_seconds = time.process_time() - cpu_started
    return {
        "validators": validators,
        "heights": heights,
        "heights_final_min": result.heights_final_min,
        "ok": result.is_ok,
        "wall_seconds": round(result.wall_seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "events": result.events,
        "events_per_second": round(result.events / result.wall_seconds),
        "messages_delivered": result.messages_delivered,
        "us_per_delivered_message": round(1e6 * result.wall_seconds / result.messages_delivered, 1),
        "virtual_seconds": round(result.virtual_ms / 1000, 1),
        "mean_rounds_per_height": round(result.rounds_per_height, 3),
        "signature_cache_hits": sim.verifier.hits,
        "signature_cache_misses": sim.verifier.misses,
        "target_seconds": SIM_TARGET_S,
        "meets_target": result.wall_seconds <= SIM_TARGET_S,
        "meets_target_in_cpu_seconds": cpu_seconds <= SIM_TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports/bench_consensus.json"))
    parser.add_argument("--txs", type=int, default=20_000, help="transactions to apply")
    parser.add_argument("--accounts", type=int, default=1_000, help="accounts they move among")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    sims = [(21, 20), (100, 3)] if args.quick else [(21, 1_000), (100, 100)]
    txs = 2_000 if args.quick else args.txs
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "note": "wall times include contention from other processes; cpu_seconds do not",
        "quick": args.quick,
        "transactions": bench_transactions(txs, args.accounts),
        "simulations": [],
    }
    print(json.dumps(report["transactions"]))
    for validators, heights in sims:
        entry = bench_simulation(validators, heights)
        report["simulations"].append(entry)
        print(json.dumps(entry))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
