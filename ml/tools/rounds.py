"""Seeded synthetic aggregation rounds, and a CLI that prints a round's result digest.

`python -m ml.tools.rounds --seed 7 --rule krum` prints the SHA-256 of the new weights' bytes;
running it in separate processes and comparing digests checks cross-process determinism.
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

from ml.aggregation.round import DeltaEntry, aggregate_round
from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import CodecConfig, CodecName, encode_delta
from ml.models import get_model_spec, init_weights
from ml.types import Float32Array

RULE_PARAMS: dict[str, dict[str, int | float]] = {
    "fedavg": {},
    "median": {},
    "trimmed_mean": {"beta": 0.2},
    "krum": {"f": 2},
    "multi_krum": {"f": 2, "m": 5},
}


def build_spec(rule: str, model_id: str = "mlp-digits", clip_norm: float = 1.0) -> AggregationSpec:
    """A spec for `rule` with the parameters used across tests and benchmarks."""
    return AggregationSpec.from_dict(
        {"model_id": model_id, "rule": rule, "clip_norm": clip_norm, **RULE_PARAMS[rule]}
    )


def build_round(
    seed: int,
    num_deltas: int = 10,
    model_id: str = "mlp-digits",
    codec: CodecName = "float32",
    scale: float = 0.05,
) -> tuple[Float32Array, list[DeltaEntry]]:
    """Global weights and `num_deltas` encoded random deltas with random tx hashes, seeded."""
    model = get_model_spec(model_id)
    rng = np.random.Generator(np.random.PCG64(seed))
    entries: list[DeltaEntry] = []
    for _ in range(num_deltas):
        values = (rng.standard_normal(model.num_params) * scale).astype(np.float32)
        blob = encode_delta(values, model_id, model.shapes, CodecConfig(codec))
        entries.append((rng.bytes(32), blob, int(rng.integers(1, 500))))
    return init_weights(model_id, seed), entries


def compute_round_digest(seed: int, rule: str, num_deltas: int = 10) -> str:
    """Hex SHA-256 of the new weights' bytes for a seeded round under `rule`."""
    weights, entries = build_round(seed, num_deltas)
    result = aggregate_round(build_spec(rule), weights, entries)
    return hashlib.sha256(result.new_weights.tobytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", choices=sorted(RULE_PARAMS), default="fedavg")
    parser.add_argument("--num-deltas", type=int, default=10)
    args = parser.parse_args()
    print(compute_round_digest(args.seed, args.rule, args.num_deltas))


if __name__ == "__main__":
    main()
