"""Scenario settings: partition schedules and the checks on every setting."""

from __future__ import annotations

import pytest

from node.sim import (
    NetworkConfig,
    Partition,
    PartitionSpecError,
    SimConfig,
    SimConfigError,
    max_faulty,
    parse_partition,
)


def test_parse_partition_reads_ranges_and_lists():
    partition = parse_partition("1000:5000:0-3|4,6")
    assert partition == Partition(1000, 5000, ((0, 1, 2, 3), (4, 6)))


@pytest.mark.parametrize(
    "spec",
    ["", "1000:5000", "a:5000:0-1|2", "5000:1000:0|1", "0:10:3-1|0", "0:10:0|0", "0:10:x|1"],
)
def test_parse_partition_rejects_malformed_specs(spec):
    with pytest.raises(PartitionSpecError):
        parse_partition(spec)


def test_max_faulty_is_floor_of_n_minus_one_over_three():
    assert [max_faulty(n) for n in (1, 3, 4, 7, 21, 100)] == [0, 0, 1, 2, 6, 33]


def test_config_refuses_more_byzantine_than_f_unless_allowed():
    with pytest.raises(SimConfigError, match="exceeds f = 1"):
        SimConfig(validators=4, byzantine=2)
    assert SimConfig(validators=4, byzantine=2, allow_unsafe=True).byzantine == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"validators": 0},
        {"heights": 0},
        {"byzantine": -1},
        {"stakes": (1, 2)},
        {"validators": 2, "stakes": (1, 0)},
        {"gossip_interval_ms": 0},
        {"byzantine": 1, "policies": ()},
        {"network": NetworkConfig(partitions=(parse_partition("0:10:0-1|2-4"),))},
    ],
)
def test_config_rejects_bad_settings(kwargs):
    with pytest.raises(SimConfigError):
        SimConfig(**kwargs)


@pytest.mark.parametrize("kwargs", [{"latency_ms": 0}, {"jitter_ms": -1}, {"drop_rate": 1.0}])
def test_network_config_rejects_bad_settings(kwargs):
    with pytest.raises(SimConfigError):
        NetworkConfig(**kwargs)


def test_liveness_deadline_counts_from_the_last_heal():
    network = NetworkConfig(
        partitions=(parse_partition("0:3000:0|1"), parse_partition("100:7000:2|3"))
    )
    config = SimConfig(validators=4, heights=5, network=network, liveness_ms_per_height=1000)
    assert config.liveness_deadline_ms == 7000 + 5 * 1000


def test_config_bounds_byzantine_power_when_stakes_differ():
    stakes = (10, 1, 1, 1, 1, 1, 1)
    with pytest.raises(SimConfigError, match="1/3 of the power"):
        SimConfig(validators=7, byzantine=1, stakes=stakes)
    assert SimConfig(validators=7, byzantine=1, stakes=(1, 2, 2, 2, 2, 2, 2)).byzantine == 1
