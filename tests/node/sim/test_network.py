"""The seeded network model: latency bounds, drops, partitions, determinism."""

from __future__ import annotations

import random

from node.sim import NetworkConfig, parse_partition
from node.sim.network import NetworkModel


def _delays(model: NetworkModel, count: int) -> list[int | None]:
    return [model.get_delay(i % 4, (i + 1) % 4, 0) for i in range(count)]


def test_network_delays_stay_within_link_mean_and_jitter_bounds():
    model = NetworkModel(NetworkConfig(latency_ms=100, jitter_ms=10), 4, random.Random(1))
    delays = _delays(model, 2000)
    assert all(d is not None and 40 <= d <= 160 for d in delays)
    assert len(set(delays)) > 20


def test_network_same_seed_gives_same_delays_and_other_seed_differs():
    config = NetworkConfig(latency_ms=80, jitter_ms=30, drop_rate=0.2)
    first = _delays(NetworkModel(config, 4, random.Random(7)), 300)
    again = _delays(NetworkModel(config, 4, random.Random(7)), 300)
    other = _delays(NetworkModel(config, 4, random.Random(8)), 300)
    assert first == again
    assert first != other


def test_network_drops_about_the_drop_rate():
    model = NetworkModel(NetworkConfig(drop_rate=0.1), 4, random.Random(3))
    dropped = sum(d is None for d in _delays(model, 10_000))
    assert 800 < dropped < 1200


def test_network_partition_separates_groups_only_while_active():
    partition = parse_partition("1000:2000:0-1|2")
    model = NetworkModel(NetworkConfig(partitions=(partition,)), 4, random.Random(0))
    assert model.get_delay(0, 2, 999) is not None
    assert model.get_delay(0, 2, 1000) is None
    assert model.get_delay(2, 0, 1999) is None
    assert model.get_delay(0, 1, 1500) is not None
    assert model.get_delay(0, 2, 2000) is not None


def test_network_partition_unlisted_nodes_form_their_own_group():
    model = NetworkModel(
        NetworkConfig(partitions=(parse_partition("0:100:0|1"),)), 4, random.Random(0)
    )
    assert model.is_partitioned(0, 2, 50)
    assert model.is_partitioned(1, 3, 50)
    assert not model.is_partitioned(2, 3, 50)
