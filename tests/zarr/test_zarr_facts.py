"""An array's shape, dtype, chunks and shards come from its metadata document, without
zarr-python, and agree with what zarr-python says of the same array."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from ctlab_core.location import Location
from ctlab_zarr._engines import ArrayLocation
from ctlab_zarr._nodes import load_node
from ctlab_zarr._reader import _facts_of_document, array_facts

CASES: list[tuple[str, dict[str, Any]]] = [
    ("v3 plain", {"zarr_format": 3, "dtype": "uint16", "chunks": (3, 5, 7)}),
    (
        "v3 sharded",
        {"zarr_format": 3, "dtype": "int32", "chunks": (2, 5, 7), "shards": (4, 10, 14)},
    ),
    ("v3 float64", {"zarr_format": 3, "dtype": "float64", "chunks": (5, 5, 5)}),
    ("v3 bool", {"zarr_format": 3, "dtype": "bool", "chunks": (4, 4, 4)}),
    ("v2 little", {"zarr_format": 2, "dtype": "<u2", "chunks": (3, 5, 7)}),
    ("v2 big", {"zarr_format": 2, "dtype": ">f4", "chunks": (9, 9, 9)}),
    ("v2 bytes", {"zarr_format": 2, "dtype": "|u1", "chunks": (9, 20, 30)}),
]


@pytest.mark.parametrize(("name", "options"), CASES, ids=[name for name, _ in CASES])
def test_the_document_gives_what_zarr_python_gives(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    path = tmp_path / "a.zarr"
    array = zarr.create_array(store=path, shape=(9, 20, 30), **options)
    meta = load_node(Location.of(path))
    facts = _facts_of_document(meta)
    assert facts is not None, name
    assert facts.shape == array.shape
    assert facts.dtype == np.dtype(array.dtype).newbyteorder("=")
    assert facts.chunks == array.chunks
    assert facts.shards == array.shards
    assert array_facts(ArrayLocation(path, "", options["zarr_format"]), meta) == facts


def test_unusual_documents_go_through_zarr_python(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    zarr.create_array(store=path, shape=(4,), dtype="<U4", chunks=(2,), zarr_format=2)
    meta = load_node(Location.of(path))
    assert _facts_of_document(meta) is None
    assert array_facts(ArrayLocation(path, "", 2), meta).shape == (4,)
    assert _facts_of_document({**meta, "v2": {**meta["v2"], "chunks": [2, 2]}}) is None
    assert _facts_of_document({"zarr_format": 3, "shape": [4], "data_type": "uint8"}) is None
