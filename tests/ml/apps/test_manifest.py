"""app.toml parsing: required keys, safe entry, config values; --config parsing."""

from __future__ import annotations

import pytest

from ml.apps.manifest import (
    AppManifest,
    merge_config,
    parse_config_value,
    parse_manifest,
    render_manifest,
)
from ml.errors import AppError, BundleError


def test_manifest_round_trips_through_render() -> None:
    manifest = AppManifest("my-app", "0.1.0", "src/app.py", {"lr": 0.1, "opt": "adam", "e": 2})
    assert parse_manifest(render_manifest(manifest)) == manifest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('version = "1"\nentry = "a.py"', "name"),
        ('name = "a b"\nversion = "1"\nentry = "a.py"', "name"),
        ('name = "a"\nversion = "1"\nentry = "a.txt"', "entry"),
        ('name = "a"\nversion = "1"\nentry = "a.py"\nextra = 1', "unknown"),
        ('name = "a"\nversion = "1"\nentry = "a.py"\nconfig = 3', "table"),
        ('name = "a"\nversion = "1"\nentry = "a.py"\n[config]\nx = nan', "finite"),
        ('name = "a"\nversion = "1"\nentry = "a.py"\n[config]\nx = [1]', "bool, number"),
        ("name = ", "TOML"),
    ],
)
def test_manifest_refuses_bad_files(text: str, message: str) -> None:
    with pytest.raises(AppError, match=message):
        parse_manifest(text)


def test_manifest_entry_must_stay_inside_the_app() -> None:
    with pytest.raises(BundleError, match="traversal"):
        parse_manifest('name = "a"\nversion = "1"\nentry = "../a.py"')


def test_config_values_parse_and_merge() -> None:
    assert parse_config_value("3") == 3
    assert parse_config_value("0.5") == 0.5
    assert parse_config_value("true") is True
    assert parse_config_value("adam") == "adam"
    assert parse_config_value("inf") == "inf"
    assert merge_config({"lr": 0.1, "e": 1}, {"e": 3}) == {"lr": 0.1, "e": 3}
    with pytest.raises(AppError, match="identifier"):
        merge_config({}, {"bad key": 1})
