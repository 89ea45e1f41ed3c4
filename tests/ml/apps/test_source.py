"""App directories: what goes into a bundle, links refused; the scaffold and built-in apps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ml.apps.builtins import MODEL_APPS, get_builtin_app_dir, list_builtin_apps
from ml.apps.scaffold import write_scaffold
from ml.apps.source import build_app_bundle, collect_app_files
from ml.errors import AppError

MANIFEST = 'name = "t"\nversion = "1"\nentry = "app.py"\n'


def make_app(root: Path) -> Path:
    root.mkdir()
    (root / "app.toml").write_text(MANIFEST)
    (root / "app.py").write_text("def build_model(c): ...\n")
    (root / "lib").mkdir()
    (root / "lib" / "net.py").write_text("X = 1\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    (root / "lib" / "net.pyc").write_bytes(b"\0")
    return root


def test_source_collects_files_and_skips_caches_and_hidden(tmp_path: Path) -> None:
    files = collect_app_files(make_app(tmp_path / "app"))
    assert sorted(files) == ["app.py", "app.toml", "lib/net.py"]


def test_source_same_files_on_two_paths_give_one_hash(tmp_path: Path) -> None:
    first, _ = build_app_bundle(make_app(tmp_path / "a"))
    second_dir = make_app(tmp_path / "b")
    os.utime(second_dir / "app.py", (1, 1))  # timestamps never reach the bundle
    second, bundle = build_app_bundle(second_dir)
    assert first == second
    assert bundle.manifest.name == "t"


def test_source_refuses_symlinked_files_and_folders(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app")
    (root / "secret.py").symlink_to(tmp_path / "elsewhere.py")
    with pytest.raises(AppError, match="symbolic link"):
        collect_app_files(root)
    (root / "secret.py").unlink()
    (tmp_path / "outside").mkdir()
    (root / "linked").symlink_to(tmp_path / "outside")
    with pytest.raises(AppError, match="symbolic link"):
        collect_app_files(root)


def test_source_needs_an_app_toml(tmp_path: Path) -> None:
    with pytest.raises(AppError, match=r"no app\.toml"):
        collect_app_files(tmp_path)


def test_scaffold_writes_an_app_that_bundles(tmp_path: Path) -> None:
    written = write_scaffold(tmp_path / "my-model")
    assert [p.name for p in written] == ["app.toml", "app.py"]
    _, bundle = build_app_bundle(tmp_path / "my-model")
    assert bundle.manifest.name == "my-model"
    assert {"num_features", "num_classes", "lr", "local_epochs"} <= set(bundle.manifest.config)
    with pytest.raises(AppError, match="not empty"):
        write_scaffold(tmp_path / "my-model")


def test_builtin_apps_are_listed_and_bundle() -> None:
    assert {"digits-mlp", "tabular-mlp"} <= set(list_builtin_apps())
    assert get_builtin_app_dir("mlp-digits") == get_builtin_app_dir(MODEL_APPS["mlp-digits"])
    for name in list_builtin_apps():
        _, bundle = build_app_bundle(get_builtin_app_dir(name))
        assert bundle.manifest.name == name
    with pytest.raises(AppError, match="no built-in app"):
        get_builtin_app_dir("nope")
