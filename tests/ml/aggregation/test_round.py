import subprocess
import sys

import numpy as np
import pytest

from ml.aggregation.round import aggregate_round
from ml.aggregation.spec import AggregationSpec
from ml.codec.delta import CodecConfig, encode_delta
from ml.errors import InsufficientDeltasError, WeightsError
from ml.models import get_model_spec
from ml.snapshot import compute_model_hash
from ml.tools.rounds import RULE_PARAMS, build_round, build_spec, compute_round_digest

MLP = get_model_spec("mlp-digits")


def _encode(values, model=MLP):
    return encode_delta(values.astype(np.float32), model.model_id, model.shapes, CodecConfig())


@pytest.mark.parametrize("rule", sorted(RULE_PARAMS))
def test_round_result_does_not_depend_on_input_order(rule):
    weights, entries = build_round(seed=11)
    forward = aggregate_round(build_spec(rule), weights, entries)
    backward = aggregate_round(build_spec(rule), weights, list(reversed(entries)))
    assert forward.new_weights.tobytes() == backward.new_weights.tobytes()
    assert forward.accepted == backward.accepted
    assert forward.model_hash == compute_model_hash(forward.new_weights)
    assert list(forward.accepted) == sorted(forward.accepted)


def test_round_is_bit_identical_across_separate_processes():
    # each rule runs in two fresh interpreters; digests must match each other and this process
    for rule in ("fedavg", "median", "trimmed_mean", "krum", "multi_krum"):
        command = [sys.executable, "-m", "ml.tools.rounds", "--seed", "5", "--rule", rule]
        digests = {
            subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)
        }
        assert digests == {compute_round_digest(5, rule)}


def test_round_fedavg_step_is_the_weighted_mean_of_clipped_deltas():
    weights = np.zeros(MLP.num_params, np.float32)
    a, b = np.zeros(MLP.num_params), np.zeros(MLP.num_params)
    a[0], b[1] = 1.0, 100.0  # b is clipped to norm 2
    spec = AggregationSpec("mlp-digits", "fedavg", clip_norm=2.0)
    result = aggregate_round(spec, weights, [(b"\x02", _encode(b), 3), (b"\x01", _encode(a), 1)])
    assert result.new_weights[:2].tolist() == [0.25, 1.5]
    assert result.accepted == (b"\x01", b"\x02")
    assert result.clipped == (b"\x02",)
    assert result.rejected == ()


def test_round_rejects_bad_payloads_with_reasons_and_keeps_the_rest():
    weights = np.zeros(MLP.num_params, np.float32)
    good = _encode(np.full(MLP.num_params, 0.001))
    logreg = get_model_spec("logreg-digits")
    entries = [
        (b"a", good, 10),
        (b"b", b"not a delta", 10),
        (b"c", _encode(np.zeros(logreg.num_params), logreg), 10),
        (b"d", good, 0),
        (b"a", good, 10),
    ]
    result = aggregate_round(AggregationSpec("mlp-digits", "median", 1.0), weights, entries)
    assert result.accepted == (b"a",)
    codes = [(r.tx_hash, r.code) for r in result.rejected]
    assert codes == [
        (b"a", "duplicate"),
        (b"b", "malformed"),
        (b"c", "invalid"),
        (b"d", "invalid"),
    ]


def test_round_krum_rejects_the_outlier_as_not_selected():
    weights, entries = build_round(seed=2, num_deltas=7)
    poisoned = (b"\xff" * 32, _encode(np.full(MLP.num_params, 5.0)), 1000)
    spec = AggregationSpec.from_dict(
        {"model_id": "mlp-digits", "rule": "krum", "clip_norm": 100.0, "f": 2}
    )
    result = aggregate_round(spec, weights, [*entries, poisoned])
    assert b"\xff" * 32 not in result.accepted
    assert [r.code for r in result.rejected] == ["not_selected"] * 7


def test_round_too_few_valid_deltas_raise():
    weights, entries = build_round(seed=3, num_deltas=6)
    with pytest.raises(InsufficientDeltasError) as info:
        aggregate_round(build_spec("krum"), weights, entries)  # f = 2 needs 7
    assert (info.value.valid, info.value.required) == (6, 7)


def test_round_rejects_global_weights_that_do_not_fit_the_model():
    _, entries = build_round(seed=3)
    with pytest.raises(WeightsError):
        aggregate_round(build_spec("fedavg"), np.zeros(3, np.float32), entries)
