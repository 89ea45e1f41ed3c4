"""``app.toml``: an app's name, version, entry file and default hyper-parameters."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ml.apps.names import validate_member_name
from ml.errors import AppError

MANIFEST_FILE = "app.toml"
MAX_CONFIG_ENTRIES = 64
MAX_CONFIG_TEXT = 256
ConfigValue = bool | int | float | str
AppConfig = Mapping[str, ConfigValue]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]{0,31}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class AppManifest:
    """What ``app.toml`` says."""

    name: str
    version: str
    entry: str
    config: Mapping[str, ConfigValue] = field(default_factory=dict)
    description: str = ""


def parse_manifest(text: str) -> AppManifest:
    """The manifest in ``text``; raises AppError naming the bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AppError(f"{MANIFEST_FILE} is not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - {"name", "version", "entry", "config", "description"})
    if unknown:
        raise AppError(f"{MANIFEST_FILE}: unknown key(s) {', '.join(unknown)}")
    name = _get_text(raw, "name", _NAME)
    version = _get_text(raw, "version", _VERSION)
    entry = raw.get("entry")
    if not isinstance(entry, str) or not entry.endswith(".py"):
        raise AppError(f"{MANIFEST_FILE}: entry must name the app's .py file, got {entry!r}")
    validate_member_name(entry)
    config = raw.get("config", {})
    if not isinstance(config, dict):
        raise AppError(f"{MANIFEST_FILE}: [config] must be a table")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise AppError(f"{MANIFEST_FILE}: description must be text")
    return AppManifest(name, version, entry, validate_config(config), description)


def _get_text(raw: Mapping[str, object], key: str, pattern: re.Pattern[str]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise AppError(f"{MANIFEST_FILE}: {key} {value!r} must match {pattern.pattern}")
    return value


def validate_config(config: Mapping[str, object]) -> dict[str, ConfigValue]:
    """The config as a plain dict of bool, int, float (finite) and short str values."""
    if len(config) > MAX_CONFIG_ENTRIES:
        raise AppError(f"a config has at most {MAX_CONFIG_ENTRIES} entries")
    out: dict[str, ConfigValue] = {}
    for key, value in config.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise AppError(f"config key {key!r} must be an identifier")
        out[key] = _check_value(key, value)
    return out


def _check_value(key: str, value: object) -> ConfigValue:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AppError(f"config {key} must be finite, got {value}")
        return value
    if isinstance(value, str) and len(value) <= MAX_CONFIG_TEXT and value.isprintable():
        return value
    raise AppError(f"config {key} must be a bool, number or short text, got {value!r}")


def merge_config(defaults: AppConfig, overrides: AppConfig) -> dict[str, ConfigValue]:
    """The config an app runs with: its ``app.toml`` defaults, then the task's values."""
    return validate_config({**defaults, **overrides})


def parse_config_pairs(pairs: Sequence[str]) -> dict[str, ConfigValue]:
    """``--config key=value`` options as a config; raises AppError for a malformed pair or a
    config :func:`validate_config` refuses."""
    values: dict[str, ConfigValue] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise AppError(f"--config must be key=value, got {pair!r}")
        values[key.strip()] = parse_config_value(text)
    return validate_config(values)


def parse_config_value(text: str) -> ConfigValue:
    """A ``--config key=value`` value: true/false, an int, a float, else the text itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if isinstance(number, float) and not math.isfinite(number):
            break
        return number
    return text


def render_manifest(manifest: AppManifest) -> str:
    """TOML text for ``manifest`` (what ``app new`` writes)."""
    lines = [
        f'name = "{manifest.name}"',
        f'version = "{manifest.version}"',
        f'entry = "{manifest.entry}"',
        *([f"description = {_render_value(manifest.description)}"] if manifest.description else []),
        "",
        "[config]",
    ]
    for key, value in manifest.config.items():
        lines.append(f"{key} = {_render_value(value)}")
    return "\n".join(lines) + "\n"


def _render_value(value: ConfigValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
