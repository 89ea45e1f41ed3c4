"""Real learning under poisoning: four of ten trainers send sign-flipped deltas. Plain FedAvg
averages them in and learns slowly; Multi-Krum leaves them out and learns as if unattacked."""

from __future__ import annotations

from typing import Any

from node.scenario.parse import parse_manifest
from node.scenario.report import RunReport
from node.scenario.simulate import simulate_manifest


def poisoned(rule: str, params: dict[str, int]) -> RunReport:
    raw: dict[str, Any] = {
        "name": f"poisoned-{rule.replace('_', '-')}",
        "seed": 4,
        "timing": {"duration_s": 15, "stop_when_done": False},
        "task": {"rule": rule, "rule_params": params, "local_epochs": 2},
        "checks": {"target_accuracy": 0.85, "min_height": 10},
        "node": [{"name": "v", "count": 6}, {"name": "neg", "count": 4, "attack": "sign_flip"}],
    }
    return simulate_manifest(parse_manifest(raw), 1)


def best_accuracy(report: RunReport) -> float:
    return max(v.accuracy or 0.0 for v in report.versions)


def test_simulate_sign_flipping_breaks_fedavg_but_not_multi_krum() -> None:
    fedavg = poisoned("fedavg", {})
    krum = poisoned("multi_krum", {"f": 3, "m": 4})
    assert len(fedavg.versions) >= 15 and len(krum.versions) >= 15
    assert best_accuracy(fedavg) < 0.6  # measured 0.440: the flipped deltas cancel most steps
    assert best_accuracy(krum) > 0.85  # measured 0.905
    assert not fedavg.passed and krum.passed
    accepted_flips = sum(n.accepted_deltas for n in krum.nodes if n.name.startswith("neg"))
    assert accepted_flips == 0
