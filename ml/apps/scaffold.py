"""``app new``: a working app to edit, copied from the built-in tabular-mlp."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ml.apps.builtins import get_builtin_app_dir
from ml.apps.manifest import MANIFEST_FILE, parse_manifest, render_manifest
from ml.errors import AppError

TEMPLATE = "tabular-mlp"


def write_scaffold(directory: Path, name: str | None = None) -> list[Path]:
    """Write ``app.toml`` and ``app.py`` into ``directory`` (new or empty); returns the files."""
    if directory.exists() and any(directory.iterdir()):
        raise AppError(f"{directory} is not empty; choose a new directory")
    app_name = name or _name_from(directory)
    source = get_builtin_app_dir(TEMPLATE)
    template = parse_manifest((source / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest = dataclasses.replace(template, name=app_name, version="0.1.0")
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / MANIFEST_FILE, directory / manifest.entry]
    written[0].write_text(render_manifest(manifest), encoding="utf-8")
    code = (source / template.entry).read_text(encoding="utf-8")
    written[1].write_text(code.replace(f"{TEMPLATE}:", f"{app_name}:", 1), encoding="utf-8")
    parse_manifest(written[0].read_text(encoding="utf-8"))  # the result must be valid
    return written


def _name_from(directory: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "-", directory.resolve().name).strip("-._")
    return name[:64] or "my-app"
