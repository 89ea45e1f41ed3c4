"""Image folders: ``class_name/*.png|jpg``, one folder per class, labels by sorted class name
(or by the order of the config's comma-separated ``classes``). Every image is converted to
``channels`` (1: grayscale, 3: RGB) and resized to ``image_size`` x ``image_size`` when it
differs; pixels become float32 in [0, 1], shaped (channels, height, width)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ml.data.tabular import Table
from ml.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_IMAGE_PIXELS = 64 * 1024 * 1024


def list_class_folders(root: Path) -> list[Path]:
    """The class folders of an image folder, in name order (hidden ones left out)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_images(folder: Path) -> list[Path]:
    """The images of one class folder, in name order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def is_image_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of class folders (or of ``train/`` and ``validation/``)."""
    return (
        path.is_dir()
        and bool(list_class_folders(path))
        and not any(
            p.is_file() and p.suffix in (".csv", ".npz", ".parquet") for p in path.iterdir()
        )
    )


def get_class_names(root: Path, config: Mapping[str, Any]) -> list[str]:
    """The task's classes: the config's ``classes`` (comma-separated) or the folder names."""
    given = str(config.get("classes", "")).strip()
    if given:
        return [name.strip() for name in given.split(",")]
    return [p.name for p in list_class_folders(root)]


def read_image_folder(root: Path, config: Mapping[str, Any], classes: list[str]) -> Table:
    """Every image under ``root``'s class folders, labelled by its folder's place in
    ``classes``; one DataError for an empty folder, an unknown class or a broken image."""
    size, channels = _image_shape(config)
    folders = list_class_folders(root)
    if not folders:
        raise DataError(f"{root}: empty image folder (expected class_name/*.png|jpg)")
    images, labels = [], []
    for folder in folders:
        if folder.name not in classes:
            raise DataError(f"{folder}: class {folder.name!r} is not one of {classes}")
        files = list_images(folder)
        if not files:
            raise DataError(f"{folder}: no .png or .jpg images in this class folder")
        images += [read_image(f, size, channels) for f in files]
        labels += [classes.index(folder.name)] * len(files)
    return Table(np.stack(images), np.asarray(labels, dtype=np.int64))


def _image_shape(config: Mapping[str, Any]) -> tuple[int, int]:
    size, channels = int(config.get("image_size", 28)), int(config.get("channels", 1))
    if channels not in (1, 3) or not 1 <= size <= 4096:
        raise DataError(f"channels must be 1 or 3 and image_size 1..4096, got {channels}, {size}")
    return size, channels


def read_image(path: Path, size: int, channels: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One image as float32 (channels, size, size) in [0, 1]."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as image:
            converted = image.convert("L" if channels == 1 else "RGB")
            if converted.size != (size, size):
                converted = converted.resize((size, size), Image.Resampling.BILINEAR)
            pixels = np.asarray(converted, dtype=np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{path}: not a readable image: {exc}") from None
    return pixels[None] if channels == 1 else np.ascontiguousarray(pixels.transpose(2, 0, 1))
