"""The apps shipped in the package (``ml/apps/catalog/<name>/``), and the old model ids they
replace. They are data files, bundled like any user app; nothing here imports them."""

from __future__ import annotations

from pathlib import Path

from ml.apps.manifest import MANIFEST_FILE
from ml.errors import AppError

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
MODEL_APPS = {"mlp-digits": "digits-mlp"}
"""Catalog model ids with an app that trains the same model (same layout and initial weights)."""


def list_builtin_apps() -> tuple[str, ...]:
    """Names of the built-in apps, sorted."""
    return tuple(sorted(p.parent.name for p in CATALOG_DIR.glob(f"*/{MANIFEST_FILE}")))


def get_builtin_app_dir(name: str) -> Path:
    """The directory of built-in app ``name`` (or of the app that replaces model id ``name``)."""
    name = MODEL_APPS.get(name, name)
    if name not in list_builtin_apps():
        known = ", ".join(list_builtin_apps())
        raise AppError(f"no built-in app {name!r} (built-in apps: {known})")
    return CATALOG_DIR / name
