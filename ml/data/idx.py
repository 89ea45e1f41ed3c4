"""IDX files (the original MNIST format): a big-endian header (two zero bytes, a type code,
the number of dimensions, each dimension as a u32), then the values. Only unsigned bytes
(type 0x08), as MNIST uses, optionally gzip-compressed (``.gz``).

An MNIST folder holds ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` and,
as the validation part, ``t10k-images-idx3-ubyte`` / ``t10k-labels-idx1-ubyte``.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ml.data.tabular import Table
from ml.errors import DataError

UBYTE = 0x08
MAX_IDX_BYTES = 512 * 1024 * 1024
PARTS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "validation": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
UInt8Array = np.ndarray[Any, np.dtype[np.uint8]]


def read_idx(path: Path) -> UInt8Array:
    """The array an IDX file holds; one DataError for anything malformed."""
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            with gzip.open(path) as handle:
                data = handle.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read IDX: {exc}") from None
    if len(data) < 4 or data[0] or data[1] or len(data) > MAX_IDX_BYTES:
        raise DataError(f"{path}: not an IDX file (bad magic number or size)")
    if data[2] != UBYTE:
        raise DataError(f"{path}: IDX type 0x{data[2]:02x} is not unsigned bytes (0x08)")
    ndim = data[3]
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if len(body) != math.prod(dims):
        raise DataError(f"{path}: {len(body)} bytes of values where the header says {dims}")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()


def write_idx(path: Path, array: UInt8Array) -> None:
    """Write an unsigned-byte array as an IDX file."""
    header = bytes([0, 0, UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def find_idx(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists."""
    return next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)


def is_idx_folder(path: Path) -> bool:
    return path.is_dir() and find_idx(path, PARTS["train"][0]) is not None


def read_idx_part(folder: Path, part: str) -> Table | None:
    """Images (float32 in [0, 1], shaped (n, 1, height, width)) and labels of one part."""
    images_name, labels_name = PARTS[part]
    images_path, labels_path = find_idx(folder, images_name), find_idx(folder, labels_name)
    if images_path is None:
        return None
    if labels_path is None:
        raise DataError(f"{folder}: {images_name} has no {labels_name} beside it")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels) or not len(labels):
        raise DataError(f"{folder}: images {images.shape} and labels {labels.shape} do not pair")
    x = (images.astype(np.float32) / 255.0)[:, None]
    return Table(x, labels.astype(np.int64))
