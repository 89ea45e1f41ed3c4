"""Files shipped inside the package: the chain presets and the scenario manifests.

In a source checkout ``node/configs`` is a link to the repository's ``configs/``; a wheel carries
a copy of it (package data), so an installed node finds its presets and the shipped scenarios
without the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

CONFIGS_DIR: Final = Path(str(files("node") / "configs"))
PRESETS_DIR: Final = CONFIGS_DIR / "presets"
SCENARIOS_DIR: Final = CONFIGS_DIR / "scenarios"


def list_scenarios() -> list[str]:
    """Names of the shipped scenario manifests (``baseline-4``, ...), sorted."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


def find_scenario(name: str) -> Path | None:
    """The shipped manifest named ``name`` (with or without ``.toml``), None if there is none."""
    stem = name.removesuffix(".toml")
    if not stem or "/" in stem or stem not in list_scenarios():
        return None
    return SCENARIOS_DIR / f"{stem}.toml"
