import pytest

from ml.aggregation.spec import RULES, AggregationSpec, compute_rule_dict, spec_from_task
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
        ({**BASE, "rule": "fedavg", "server_lr": 2**64 - 1}, "server_lr must be at most"),
        ({**BASE, "rule": "fedavg", "server_lr": float("inf")}, "server_lr"),
        ({**BASE, "rule": "fedavg", "server_lr": 10**400}, "server_lr is out of range"),
    ],
)
def test_spec_from_dict_rejects_bad_input(raw, match):
    with pytest.raises(SpecError, match=match):
        AggregationSpec.from_dict(raw)


def test_spec_constructor_rejects_parameters_the_rule_ignores():
    with pytest.raises(SpecError, match="takes no parameter f"):
        AggregationSpec("mlp-digits", "median", 1.0, f=2)


def test_spec_from_task_fields_and_back_to_the_rule_map():
    spec = spec_from_task("mlp-digits", {"rule": "krum", "f": 1}, clip_norm=2.0, min_deltas=5)
    assert spec == AggregationSpec("mlp-digits", "krum", 2.0, min_deltas=5, f=1)
    assert compute_rule_dict(spec) == {"rule": "krum", "f": 1}
    slow = spec_from_task("mlp-digits", {"rule": "median", "server_lr": 0.5}, 1.0, 1)
    assert compute_rule_dict(slow) == {"rule": "median", "server_lr": 0.5}


def test_spec_from_task_refuses_task_fields_inside_the_rule_map():
    with pytest.raises(SpecError, match="belong to the task"):
        spec_from_task("mlp-digits", {"rule": "median", "clip_norm": 9.0}, 1.0, 1)
