"""Running a scenario over many seeds and summarising the results."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from consensus.params import ChainParams
from node.sim.config import SimConfig
from node.sim.result import SeedResult, SimSummary
from node.sim.runner import Simulation


def run_seeds(
    config: SimConfig,
    seeds: Iterable[int],
    params: ChainParams | None = None,
    on_result: Callable[[SeedResult], None] | None = None,
) -> SimSummary:
    """Run ``config`` once per seed (in order); ``on_result`` sees each result as it comes."""
    started = time.perf_counter()
    results = []
    for seed in seeds:
        result = Simulation(config, seed, params).run()
        results.append(result)
        if on_result is not None:
            on_result(result)
    return SimSummary(tuple(results), time.perf_counter() - started, describe_config(config))


def describe_config(config: SimConfig) -> dict[str, Any]:
    """The scenario's settings as plain JSON data (echoed in the CLI output)."""
    network = config.network
    return {
        "validators": config.validators,
        "byzantine": config.byzantine,
        "policies": [p.value for p in config.policies] if config.byzantine else [],
        "heights": config.heights,
        "stakes": list(config.stakes) or "equal",
        "latency_ms": network.latency_ms,
        "jitter_ms": network.jitter_ms,
        "drop_rate": network.drop_rate,
        "partitions": [
            {"start_ms": p.start_ms, "end_ms": p.end_ms, "groups": [list(g) for g in p.groups]}
            for p in network.partitions
        ],
        "txs_per_proposal": config.txs_per_proposal,
        "gossip_interval_ms": config.gossip_interval_ms,
        "liveness_deadline_ms": config.liveness_deadline_ms,
    }
