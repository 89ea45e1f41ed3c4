"""The summary of a cluster run, gathered from the nodes' HTTP APIs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from node.ops.launcher import Cluster, NodeProcess

MAX_BLOCKS_SCANNED = 2_000


@dataclass
class ClusterSummary:
    """Every figure ``testnet up`` prints (and writes as JSON)."""

    nodes: int
    heights: dict[str, int] = field(default_factory=dict)
    mean_rounds_per_height: float | None = None
    heights_with_round_change: int = 0
    finality_p50_ms: dict[str, float | None] = field(default_factory=dict)
    finality_p99_ms: dict[str, float | None] = field(default_factory=dict)
    accuracy_by_version: list[tuple[int, float | None]] = field(default_factory=list)
    target_accuracy: float | None = None
    reached_version: int | None = None
    seconds_to_target: float | None = None
    delta_rewards: dict[str, int] = field(default_factory=dict)
    balance_gain: dict[str, int] = field(default_factory=dict)
    compared_version: int | None = None
    same_model_hash: bool = False
    model_hashes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def get_models(node: NodeProcess, task_id: int = 1) -> list[dict[str, Any]]:
    reply = node.get(f"/tasks/{task_id}/models")
    return list(reply["models"]) if reply else []


def find_reached_version(models: list[dict[str, Any]], target: float) -> int | None:
    for record in models:
        accuracy = record.get("accuracy")
        if accuracy is not None and accuracy >= target:
            return int(record["version"])
    return None


def collect_summary(
    cluster: Cluster, addresses: dict[str, str], initial_balances: dict[str, int]
) -> ClusterSummary:
    summary = ClusterSummary(nodes=len(cluster.nodes))
    for node in cluster.nodes:
        status = node.get("/status")
        if status is None:
            continue
        summary.heights[node.name] = int(status["height"])
        summary.finality_p50_ms[node.name] = status.get("finality_p50_ms")
        summary.finality_p99_ms[node.name] = status.get("finality_p99_ms")
    reference = cluster.nodes[0]
    models = get_models(reference)
    summary.accuracy_by_version = [(int(m["version"]), m.get("accuracy")) for m in models]
    _count_rounds(summary, reference)
    _compare_models(summary, cluster)
    _rewards(summary, cluster, addresses, initial_balances, len(models))
    return summary


def _count_rounds(summary: ClusterSummary, node: NodeProcess) -> None:
    height = summary.heights.get(node.name, 0)
    rounds = []
    for h in range(max(1, height - MAX_BLOCKS_SCANNED + 1), height + 1):
        block = node.get(f"/blocks/{h}")
        if block is not None:
            rounds.append(int(block["round"]))
    if rounds:
        summary.mean_rounds_per_height = sum(r + 1 for r in rounds) / len(rounds)
        summary.heights_with_round_change = sum(1 for r in rounds if r > 0)


def _compare_models(summary: ClusterSummary, cluster: Cluster) -> None:
    per_node = {
        n.name: {int(m["version"]): m["model_hash"] for m in get_models(n)} for n in cluster.nodes
    }
    common = set.intersection(*(set(v) for v in per_node.values())) if per_node else set()
    if not common:
        return
    version = max(common)
    summary.compared_version = version
    summary.model_hashes = {name: models[version] for name, models in per_node.items()}
    summary.same_model_hash = len(set(summary.model_hashes.values())) == 1


def _rewards(
    summary: ClusterSummary,
    cluster: Cluster,
    addresses: dict[str, str],
    initial_balances: dict[str, int],
    versions: int,
) -> None:
    node = cluster.nodes[0]
    by_sender: dict[str, int] = {}
    for version in range(1, versions + 1):
        reply = node.get(f"/tasks/1/models/{version}/contributions")
        for row in reply["contributions"] if reply else []:
            by_sender[row["sender"]] = by_sender.get(row["sender"], 0) + int(row["reward"])
    for name, address in addresses.items():
        summary.delta_rewards[name] = by_sender.get(address, 0)
        account = node.get(f"/accounts/{address}")
        if account is not None:
            summary.balance_gain[name] = int(account["balance"]) - initial_balances.get(name, 0)
