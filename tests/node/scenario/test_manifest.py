"""Scenario manifests: the shipped files parse, bad ones fail with one clear line."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Any

import pytest

from node.scenario.errors import ManifestError
from node.scenario.manifest import Action, Attack, Role
from node.scenario.parse import load_manifest, parse_manifest

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"
REQUIRED = ("baseline-4", "byzantine-7", "churn-5", "partition-heal-7", "poisoning-10", "join-late")


def base() -> dict[str, Any]:
    return {"name": "t", "node": [{"name": "v", "count": 4}]}


@pytest.mark.parametrize("name", REQUIRED)
def test_manifest_shipped_scenarios_parse(name: str) -> None:
    manifest = load_manifest(SCENARIOS / f"{name}.toml")
    assert manifest.name == name
    assert manifest.validators
    short = manifest.shortened()
    assert short.timing.duration_s <= manifest.timing.duration_s
    assert all(p.at_s < short.timing.duration_s for p in short.perturbations)


def test_manifest_byzantine_7_has_two_byzantine_validators_of_seven() -> None:
    manifest = load_manifest(SCENARIOS / "byzantine-7.toml")
    roles = sorted(n.byzantine.value for n in manifest.nodes if not n.is_honest)
    assert len(manifest.validators) == 7
    assert roles == ["double_signer", "equivocating_proposer"]


def test_manifest_poisoning_10_has_thirty_percent_poisoners() -> None:
    manifest = load_manifest(SCENARIOS / "poisoning-10.toml")
    attacks = {n.attack for n in manifest.nodes} - {Attack.NONE}
    assert len(manifest.nodes) == 10
    assert sum(n.attack is not Attack.NONE for n in manifest.nodes) == 3
    assert attacks == {Attack.LABEL_FLIP, Attack.SIGN_FLIP, Attack.ALIE}


def test_manifest_churn_5_perturbs_every_node_about_every_ten_seconds() -> None:
    manifest = load_manifest(SCENARIOS / "churn-5.toml")
    times = [p.at_s for p in manifest.perturbations]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert {p.node for p in manifest.perturbations} == {f"v{i}" for i in range(5)}
    assert all(8 <= g <= 15 for g in gaps)
    assert {p.action for p in manifest.perturbations} == set(Action)


def test_manifest_count_expands_names_and_validators_back_themselves() -> None:
    manifest = parse_manifest(base())
    assert [n.name for n in manifest.nodes] == ["v0", "v1", "v2", "v3"]
    assert all(n.role is Role.VALIDATOR for n in manifest.nodes)
    assert manifest.nodes[2].effective_votes == ("v2",)
    assert manifest.network_chain_id == "deltachain-t"


def test_manifest_full_node_delegates_to_named_validators() -> None:
    raw = base()
    raw["node"].append({"name": "fan", "role": "full", "stake": 500, "votes": ["v1", "v2"]})
    fan = parse_manifest(raw).node("fan")
    assert fan.role is Role.FULL and fan.effective_votes == ("v1", "v2")


def test_manifest_short_overrides_timing_and_checks() -> None:
    raw = base() | {
        "timing": {"duration_s": 100},
        "short": {"duration_s": 20, "checks": {"min_height": 2}},
        "perturbation": [
            {"at_s": 5, "node": "v1", "action": "kill"},
            {"at_s": 50, "node": "v2", "action": "pause"},
        ],
    }
    short = parse_manifest(raw).shortened()
    assert short.timing.duration_s == 20
    assert short.checks.min_height == 2
    assert [p.node for p in short.perturbations] == ["v1"]


BAD_MANIFESTS: list[tuple[dict[str, Any], str]] = [
    ({"node": [{"name": "v"}]}, "name is required"),
    (base() | {"colour": "red"}, "unknown key(s): colour"),
    ({"name": "t", "node": [{"name": "v", "speed": 3}]}, "node[0].speed"),
    ({"name": "t", "node": [{"name": "v", "role": "king"}]}, "node[0].role must be one of"),
    ({"name": "t", "node": [{"name": "v", "stake": "lots"}]}, "node[0].stake must be of type"),
    ({"name": "t", "node": [{"role": "validator"}]}, "needs"),
    ({"name": "t", "node": [{"name": "f", "role": "full", "stake": 1}]}, "at least one"),
    ({"name": "t", "node": [{"name": "v"}, {"name": "v"}]}, "unique"),
    (base() | {"node": [{"name": "v", "count": 2, "votes": ["x"]}]}, "not a validator"),
    (base() | {"perturbation": [{"at_s": 1, "node": "zz", "action": "kill"}]}, "unknown node"),
    (base() | {"perturbation": [{"at_s": 1, "node": "v0", "action": "nuke"}]}, "one of"),
    (
        base() | {"partition": [{"at_s": 5, "heal_at_s": 2, "groups": [["v0"], ["v1"]]}]},
        "at_s < heal_at_s",
    ),
    (
        base() | {"partition": [{"at_s": 1, "heal_at_s": 2, "groups": [["v0"], ["v0"]]}]},
        "two groups",
    ),
    (base() | {"task": {"rule": "mode"}}, "task:"),
    (base() | {"task": {"model": "gpt-9"}}, "task:"),
    (base() | {"task": {"min_deltas": 9}}, "exceeds"),
    (base() | {"checks": {"target_accuracy": 1.5}}, "target_accuracy"),
    (
        {"name": "t", "node": [{"name": "v", "count": 2}, {"name": "b", "byzantine": "spammer"}]},
        "less than a third",
    ),
    (
        {"name": "t", "node": [{"name": "v", "count": 4}, {"name": "f", "role": "full",
         "byzantine": "double_signer"}]},
        "needs role = 'validator'",
    ),
    ({"name": "t", "node": [{"name": "v", "count": 4, "train": False, "attack": "scaled"}]},
     "needs train = true"),
    ({"name": "Bad Name", "node": [{"name": "v"}]}, "must match"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "message"), BAD_MANIFESTS)
def test_manifest_bad_values_raise_one_clear_error(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(raw)
    assert message in str(caught.value)


def test_manifest_unreadable_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [", encoding="utf-8")
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(broken)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[node]]\nname = "v"\nrole = 3\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=str(bad)):
        load_manifest(bad)


def test_manifest_every_shipped_file_uses_only_known_keys() -> None:
    for path in sorted(SCENARIOS.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert parse_manifest(raw).name == path.stem
