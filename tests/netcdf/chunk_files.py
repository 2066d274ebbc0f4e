"""Small HDF5 files with a chosen filter pipeline, fill value and missing chunks, and the
chunk reader's view of them, for the tests of reading chunks outside HDF5."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from ctlab_core.location import Location
from ctlab_netcdf._chunk_index import ChunkIndex, chunk_index
from ctlab_netcdf._chunk_reader import read_region
from ctlab_netcdf._inflaters import Inflater

Box = list[tuple[int, int]]


def create(
    path: Path,
    data: np.ndarray[Any, Any],
    chunks: tuple[int, ...],
    pipeline: Sequence[str],
    *,
    fill: Any = None,
    present: Sequence[bool] | None = None,
    level: int = 2,
    fill_time: int | None = None,
) -> None:
    """Dataset ``x`` in a new file, with the ``pipeline`` filters in that (write) order.

    ``present`` (one flag per chunk, C order over the chunk grid, repeated)
    says which chunks are written; the others stay unallocated.
    """
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk(chunks)
    for name in pipeline:
        if name == "shuffle":
            dcpl.set_shuffle()
        elif name == "deflate":
            dcpl.set_deflate(level)
        elif name == "fletcher32":
            dcpl.set_fletcher32()
        else:
            raise ValueError(name)
    if fill is not None:
        dcpl.set_fill_value(np.array(fill, dtype=data.dtype))
    if fill_time is not None:
        dcpl.set_fill_time(fill_time)
    with h5py.File(path, "w") as handle:
        space = h5py.h5s.create_simple(data.shape)
        h5py.h5d.create(handle.id, b"x", h5py.h5t.py_create(data.dtype), space, dcpl)
        dataset = handle["x"]
        grid = [range(0, n, c) for n, c in zip(data.shape, chunks, strict=True)]
        for number, origin in enumerate(itertools.product(*grid)):
            if present is not None and not present[number % len(present)]:
                continue
            box = tuple(
                slice(o, min(o + c, n)) for o, c, n in zip(origin, chunks, data.shape, strict=True)
            )
            dataset[box] = data[box]


def index_of(path: Path, name: str = "x") -> ChunkIndex:
    """The chunk index of dataset ``name`` in ``path``."""
    with h5py.File(path, "r") as handle:
        return chunk_index(handle[name])


def h5py_read(path: Path, region: Box, name: str = "x") -> np.ndarray[Any, Any]:
    """``region`` of dataset ``name``, read by h5py."""
    with h5py.File(path, "r") as handle:
        values: np.ndarray[Any, Any] = handle[name][tuple(slice(a, b) for a, b in region)]
        return values


def ours(
    path: Path, region: Box, name: str = "x", inflater: Inflater | None = None
) -> np.ndarray[Any, Any]:
    """``region`` of dataset ``name``, read by the chunk reader into an array that starts
    out full of 77 (so a part it leaves unwritten shows)."""
    index = index_of(path, name)
    out = np.full([b - a for a, b in region], 77, dtype=index.dtype)
    read_region(Location.of(path), index, region, out, inflater=inflater)
    return out
