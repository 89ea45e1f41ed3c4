"""The chain presets in configs/presets load into ChainParams and set every field."""

from __future__ import annotations

import dataclasses
import pathlib
import tomllib

import pytest

from consensus.params import ChainParams

PRESETS = pathlib.Path(__file__).resolve().parents[3] / "configs" / "presets"


def load(name: str) -> tuple[dict[str, int], ChainParams]:
    values = tomllib.loads((PRESETS / f"{name}.toml").read_text())
    return values, ChainParams.from_mapping(values)


@pytest.mark.parametrize("name", ["local", "testnet"])
def test_presets_set_every_chain_parameter(name):
    values, _ = load(name)
    assert set(values) == {f.name for f in dataclasses.fields(ChainParams)}


def test_presets_local_is_the_default_and_testnet_is_larger():
    _, local = load("local")
    _, testnet = load("testnet")
    assert local == ChainParams()
    assert testnet.max_validators == 21
    assert testnet.epoch_length > local.epoch_length
    assert testnet.timeout_propose_ms > local.timeout_propose_ms
    assert testnet.unbonding_period > testnet.evidence_max_age
