"""Import a learning app's code from its checked bundle (training worker and app tools only).

The bundle's files are unpacked under ``<cache>/<app_hash>/`` and the entry file is imported as
a module of a package named after the hash (``deltachain_app_<hash>``), so two apps never share
modules and an app reaches its sibling files with relative imports (``from . import net``).
Importing runs the app's code: only a node whose operator approved the hash gets here.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.apps.bundle import AppBundle, read_bundle
from ml.apps.manifest import AppManifest
from ml.errors import AppError

PACKAGE_PREFIX = "deltachain_app_"
REQUIRED = ("build_model", "load_data")


@dataclass(frozen=True)
class LoadedApp:
    """An imported app: its manifest, hash and the functions of its interface."""

    manifest: AppManifest
    app_hash: bytes
    module: types.ModuleType
    build_model: Callable[..., Any]
    load_data: Callable[..., Any]
    train: Callable[..., Any] | None
    evaluate: Callable[..., Any] | None


_LOADED: dict[bytes, LoadedApp] = {}


def load_app(bundle_bytes: bytes, cache_dir: Path, expected_hash: bytes | None = None) -> LoadedApp:
    """The app in ``bundle_bytes`` (checked, unpacked once, imported once per process)."""
    bundle = read_bundle(bundle_bytes)
    if expected_hash is not None and bundle.app_hash != expected_hash:
        raise AppError(f"bundle hashes to {bundle.app_hash.hex()}, not {expected_hash.hex()}")
    cached = _LOADED.get(bundle.app_hash)
    if cached is not None:
        return cached
    directory = unpack_bundle(bundle, cache_dir)
    loaded = _import_app(bundle, directory)
    _LOADED[bundle.app_hash] = loaded
    return loaded


def unpack_bundle(bundle: AppBundle, cache_dir: Path) -> Path:
    """Write the bundle's files under ``cache_dir/<hash>`` (atomically, once)."""
    target = cache_dir / bundle.app_hash.hex()
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".unpack-"))
    try:
        for name, data in bundle.files.items():
            path = staging / name  # names are checked relative paths (no traversal)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.replace(staging, target)
    except OSError:
        if target.is_dir():  # another process unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
            return target
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _import_app(bundle: AppBundle, directory: Path) -> LoadedApp:
    package = PACKAGE_PREFIX + bundle.app_hash.hex()[:32]
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(directory)]
        sys.modules[package] = module
    entry = bundle.manifest.entry.removesuffix(".py").replace("/", ".")
    try:
        code = importlib.import_module(f"{package}.{entry}")
    except Exception as exc:  # the app's own code failed at import
        name = bundle.manifest.name
        raise AppError(f"importing app {name}: {type(exc).__name__}: {exc}") from exc
    missing = [name for name in REQUIRED if not callable(getattr(code, name, None))]
    if missing:
        raise AppError(f"app {bundle.manifest.name} does not define {', '.join(missing)}")
    return LoadedApp(
        bundle.manifest,
        bundle.app_hash,
        code,
        code.build_model,
        code.load_data,
        _optional(code, "train"),
        _optional(code, "evaluate"),
    )


def _optional(code: types.ModuleType, name: str) -> Callable[..., Any] | None:
    value = getattr(code, name, None)
    return value if callable(value) else None
