import pytest

from ml.aggregation.spec import RULES, AggregationSpec
from ml.errors import SpecError

BASE = {"model_id": "mlp-digits", "clip_norm": 2.0}
PARAMS: dict[str, dict[str, float]] = {
    "fedavg": {},
    "median": {},
    "trimmed_mean": {"beta": 0.1},
    "krum": {"f": 1},
    "multi_krum": {"f": 1, "m": 3},
}


@pytest.mark.parametrize("rule", RULES)
def test_spec_dict_round_trip_for_every_rule(rule):
    raw = {**BASE, "rule": rule, "min_deltas": 4, "server_lr": 0.5, **PARAMS[rule]}
    spec = AggregationSpec.from_dict(raw)
    assert spec.to_dict() == raw
    assert AggregationSpec.from_dict(spec.to_dict()) == spec
    assert all(isinstance(v, str | int | float) for v in spec.to_dict().values())


def test_spec_accepts_integral_floats_and_fills_defaults():
    spec = AggregationSpec.from_dict(
        {"model_id": "mlp-digits", "rule": "krum", "clip_norm": 3, "f": 2}
    )
    assert spec.clip_norm == 3.0 and isinstance(spec.clip_norm, float)
    assert (spec.min_deltas, spec.server_lr) == (1, 1.0)
    assert spec.required_deltas == 7


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ([("rule", "krum")], "dict"),
        ({**BASE, "rule": "mean"}, "unknown rule"),
        ({**BASE, "rule": ["krum"]}, "unknown rule"),
        ({**BASE, "rule": "fedavg", "f": 1}, "keys"),
        ({**BASE, "rule": "krum", "f": True}, "int"),
        ({**BASE, "rule": "krum", "f": 1.5}, "int"),
        ({**BASE, "rule": "krum", "f": -1}, "f >= 0"),
        ({**BASE, "rule": "trimmed_mean", "beta": 0.5}, "beta"),
        ({**BASE, "rule": "fedavg", "clip_norm": float("nan")}, "clip_norm"),
        ({**BASE, "rule": "fedavg", "clip_norm": "1"}, "number"),
        ({**BASE, "rule": "fedavg", "model_id": "gpt"}, "unknown model"),
        ({"model_id": "mlp-digits", "rule": "fedavg"}, "keys"),
        ({**BASE, "rule": "median", "min_deltas": 0}, "min_deltas"),
    ],
)
def test_spec_from_dict_rejects_bad_input(raw, match):
    with pytest.raises(SpecError, match=match):
        AggregationSpec.from_dict(raw)


def test_spec_constructor_rejects_parameters_the_rule_ignores():
    with pytest.raises(SpecError, match="takes no parameter f"):
        AggregationSpec("mlp-digits", "median", 1.0, f=2)
