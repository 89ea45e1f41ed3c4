"""Layouts: the hash format is pinned, bad layouts are refused, flat vectors split by name."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from ml.errors import LayoutError, WeightsError
from ml.layout import (
    Layout,
    LayoutEntry,
    compute_layout_hash,
    make_layout,
    parse_layout_json,
    render_layout_json,
    split_flat,
)
from ml.models import get_model_spec

ENTRIES = (LayoutEntry("w", (2, 3)), LayoutEntry("b", (3,)))


def test_layout_hash_is_sha256_of_the_canonical_json() -> None:
    text = render_layout_json(ENTRIES)
    assert text == '{"dtype":"float32","tensors":[["w",[2,3]],["b",[3]]]}'
    assert compute_layout_hash(ENTRIES) == hashlib.sha256(text.encode()).digest()
    assert parse_layout_json(text).entries == ENTRIES
    layout = make_layout(ENTRIES)
    assert layout.model_id == compute_layout_hash(ENTRIES).hex()
    assert (layout.num_params, layout.shapes, layout.names) == (9, ((2, 3), (3,)), ("w", "b"))


def test_layout_order_and_names_change_the_hash() -> None:
    swapped = (ENTRIES[1], ENTRIES[0])
    renamed = (LayoutEntry("W", (2, 3)), ENTRIES[1])
    hashes = {compute_layout_hash(e) for e in (ENTRIES, swapped, renamed)}
    assert len(hashes) == 3


@pytest.mark.parametrize(
    "entries",
    [
        (),
        (LayoutEntry("a", (1,)), LayoutEntry("a", (2,))),
        (LayoutEntry("", (1,)),),
        (LayoutEntry("a", (0,)),),
        (LayoutEntry("a", (1,) * 9),),
        (LayoutEntry("é", (1,)),),
        (LayoutEntry("a", (1 << 20, 1 << 20)),),
    ],
)
def test_layout_refuses_bad_entries(entries: tuple[LayoutEntry, ...]) -> None:
    with pytest.raises(LayoutError):
        Layout("m", entries)


def test_layout_json_refuses_malformed_text() -> None:
    for text in ("[", '{"dtype":"float64","tensors":[]}', '{"dtype":"float32"}', "3"):
        with pytest.raises(LayoutError):
            parse_layout_json(text)


def test_layout_splits_flat_vectors() -> None:
    layout = make_layout(ENTRIES)
    parts = split_flat(layout, np.arange(9, dtype=np.float32))
    assert parts["w"].shape == (2, 3) and parts["b"].tolist() == [6.0, 7.0, 8.0]
    with pytest.raises(WeightsError):
        split_flat(layout, np.zeros(8, dtype=np.float32))


def test_catalog_models_have_layouts() -> None:
    spec = get_model_spec("mlp-digits")
    assert spec.layout.model_id == "mlp-digits"
    assert spec.layout.names == tuple(p.name for p in spec.params)
