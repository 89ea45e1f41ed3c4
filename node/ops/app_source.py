"""Where a task's app comes from on the creator's machine: a built-in name, a directory or a
bundle file; and what ``app build`` / ``app inspect`` report about it.

Resolving a source never runs the app's code; ``probe`` does (layout and initial weights), and
only the app's author or an approving operator calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.apps.builtins import MODEL_APPS, get_builtin_app_dir, list_builtin_apps
from ml.apps.bundle import AppBundle, describe_files, read_bundle
from ml.apps.manifest import ConfigValue
from ml.apps.source import build_app_bundle
from ml.errors import MlError
from ml.layout import Layout
from node.errors import ConfigError
from node.storage.blobs import BlobStore

if TYPE_CHECKING:
    from ml.training.app_probe import AppProbe


@dataclass(frozen=True)
class AppSource:
    """A checked bundle and its bytes."""

    data: bytes
    bundle: AppBundle


def load_app_source(source: str, home: Path | None = None) -> AppSource:
    """The bundle of a built-in app name, an app directory, a bundle file or (with ``home``)
    an app hash held in that node's blob store. Runs no app code."""
    try:
        path = Path(source)
        if path.is_dir():
            return AppSource(*build_app_bundle(path))
        if path.is_file():
            data = path.read_bytes()
            return AppSource(data, read_bundle(data))
        if source in list_builtin_apps() or source in MODEL_APPS:
            return AppSource(*build_app_bundle(get_builtin_app_dir(source)))
        if home is not None and len(source) == 64:
            return _from_blobs(home, source)
    except MlError as exc:
        raise ConfigError(f"app {source}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"app {source}: {exc}") from None
    builtin = ", ".join(list_builtin_apps())
    raise ConfigError(f"no app directory, bundle file or built-in app {source!r} ({builtin})")


def _from_blobs(home: Path, hex_hash: str) -> AppSource:
    data = BlobStore(home / "data" / "blobs").get(bytes.fromhex(hex_hash))
    if data is None:
        raise ConfigError(f"the node in {home} holds no bundle {hex_hash}")
    return AppSource(data, read_bundle(data))


def describe_app(source: AppSource, layout: Layout | None = None) -> dict[str, Any]:
    """What ``app build`` and ``app inspect`` print (JSON form)."""
    manifest = source.bundle.manifest
    report: dict[str, Any] = {
        "app_hash": source.bundle.app_hash.hex(),
        "name": manifest.name,
        "version": manifest.version,
        "entry": manifest.entry,
        "bytes": len(source.data),
        "config": dict(manifest.config),
        "files": [
            {"name": name, "size": size, "sha256": digest}
            for name, size, digest in describe_files(source.bundle)
        ],
    }
    if layout is not None:
        report["layout_hash"] = layout.layout_hash.hex()
        report["num_params"] = layout.num_params
        report["layout"] = [{"name": e.name, "shape": list(e.shape)} for e in layout.entries]
    return report


def probe(source: AppSource, config: Mapping[str, ConfigValue], init_seed: int = 0) -> AppProbe:
    """Run the app's ``build_model`` (imports its code): its layout and initial weights."""
    from ml.training.app_probe import probe_app

    try:
        return probe_app(source.data, config, init_seed)
    except MlError as exc:
        raise ConfigError(f"app {source.bundle.manifest.name}: {exc}") from None
