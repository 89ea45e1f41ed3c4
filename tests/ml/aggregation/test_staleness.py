"""FedBuff staleness weights: a delta trained on an older model counts 1/(1+s)^a of itself."""

import numpy as np
import pytest

from ml.aggregation.round import aggregate_round
from ml.aggregation.spec import AggregationSpec, compute_rule_dict, spec_from_task
from ml.codec.delta import CodecConfig, encode_delta
from ml.errors import SpecError
from ml.models import get_model_spec

MODEL = get_model_spec("logreg-digits")


def encoded(values: np.ndarray) -> bytes:
    return encode_delta(values.astype(np.float32), MODEL.model_id, MODEL.shapes, CodecConfig())


def test_polynomial_weights_follow_one_over_one_plus_s_to_the_a() -> None:
    spec = AggregationSpec("logreg-digits", "fedavg", 10.0, staleness_exponent=0.5)
    assert [spec.get_staleness_weight(s) for s in (0, 3, 8)] == [1.0, 0.5, 1 / 3]
    constant = AggregationSpec("logreg-digits", "fedavg", 10.0)
    assert {constant.get_staleness_weight(s) for s in (0, 1, 50)} == {1.0}
    with pytest.raises(SpecError):
        spec.get_staleness_weight(-1)


@pytest.mark.parametrize("exponent", [-0.5, float("nan"), float("inf"), 10.5])
def test_impossible_exponents_are_refused(exponent: float) -> None:
    with pytest.raises(SpecError, match="staleness_exponent"):
        AggregationSpec("logreg-digits", "fedavg", 10.0, staleness_exponent=exponent)


def test_the_exponent_is_named_in_the_task_rule_only_when_it_is_not_zero() -> None:
    plain = spec_from_task("logreg-digits", {"rule": "median"}, 10.0, 3)
    assert compute_rule_dict(plain) == {"rule": "median"}
    weighted = spec_from_task("logreg-digits", {"rule": "median", "staleness_exponent": 1}, 10.0, 3)
    assert compute_rule_dict(weighted) == {"rule": "median", "staleness_exponent": 1.0}
    assert AggregationSpec.from_dict(weighted.to_dict()) == weighted


def test_a_stale_delta_counts_with_its_weight_and_a_fresh_one_in_full() -> None:
    spec = AggregationSpec("logreg-digits", "fedavg", 1e6, min_deltas=2, staleness_exponent=1.0)
    weights = np.zeros(MODEL.num_params, dtype=np.float32)
    fresh, stale = np.full(MODEL.num_params, 0.25), np.full(MODEL.num_params, 0.5)
    entries = [(b"\x01" * 32, encoded(fresh), 100), (b"\x02" * 32, encoded(stale), 100)]
    result = aggregate_round(spec, weights, entries, {b"\x02" * 32: 1})
    # fedavg of 0.25 and 0.5 * 1/(1+1): both count, the stale one at half its size
    np.testing.assert_allclose(result.new_weights, np.full(MODEL.num_params, 0.25), rtol=1e-6)
    assert result.accepted == (b"\x01" * 32, b"\x02" * 32)
    unweighted = aggregate_round(spec, weights, entries)
    np.testing.assert_allclose(unweighted.new_weights, np.full(MODEL.num_params, 0.375), rtol=1e-6)
    assert aggregate_round(
        spec, weights, list(reversed(entries)), {b"\x02" * 32: 1}
    ).model_hash == (result.model_hash)
