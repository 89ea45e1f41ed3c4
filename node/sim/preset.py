"""Chain presets (``configs/presets/<name>.toml``, shipped in the package) for chains."""

from __future__ import annotations

import tomllib
from pathlib import Path

from consensus.errors import InvalidParamsError
from consensus.params import ChainParams
from node.bundled import PRESETS_DIR
from node.sim.errors import SimConfigError


def load_preset(name_or_path: str, presets_dir: Path = PRESETS_DIR) -> ChainParams:
    """The ChainParams of preset ``name`` (e.g. ``local``) or of a TOML file at that path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = presets_dir / f"{name_or_path}.toml"
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SimConfigError(f"no preset {name_or_path!r} (looked for {path})") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SimConfigError(f"cannot read preset {path}: {exc}") from None
    try:
        return ChainParams.from_mapping(values)
    except (InvalidParamsError, TypeError) as exc:
        raise SimConfigError(f"preset {path} is invalid: {exc}") from None
