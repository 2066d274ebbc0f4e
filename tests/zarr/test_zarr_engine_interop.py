"""Stores written by each engine read alike on every engine, value for value: the dtypes
ctlab writes, partial edge shards, pyramid levels, regions that cut shards and chunks, and
the store's own files checked by verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
from ctlab_core.regions import reader_of
from ctlab_zarr._engines import EngineName
from ctlab_zarr._reader import ZarrBlockReader

from ctlab_core import Dataset, verify

WRITERS: list[EngineName] = ["shards", "tensorstore", "zarr-python"]
SHAPE = (37, 50, 41)  # edge shards and edge chunks partial on every axis
LAYOUT: dict[str, Any] = {"chunks": (8, 8, 8), "shards": (16, 32, 16)}
DTYPES = [np.uint8, np.uint16, np.uint32, np.int16, np.float32, np.float64, np.bool_]
REGIONS = [
    (slice(0, 37), slice(0, 50), slice(0, 41)),
    (slice(7, 33), slice(9, 47), slice(1, 40)),  # across shard and chunk borders
    (slice(15, 17), slice(31, 33), slice(15, 17)),  # a corner of eight shards
    (slice(36, 37), slice(0, 50), slice(40, 41)),  # the array's last plane and column
    (slice(3, 4), slice(5, 6), slice(7, 8)),
]


def _values(dtype: Any) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(5)
    if np.dtype(dtype).kind == "b":
        return rng.random(SHAPE) < 0.3
    if np.dtype(dtype).kind == "f":
        return rng.normal(0.0, 1e3, SHAPE).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -5000), min(info.max, 70000), SHAPE, endpoint=True).astype(
        dtype
    )


@pytest.fixture(scope="module", params=DTYPES, ids=lambda d: np.dtype(d).name)
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[np.ndarray[Any, Any], dict[str, Path]]:
    """The same values written by each engine as a three-level OME-Zarr."""
    values = _values(request.param)
    ds = Dataset(da.from_array(values, chunks=(16, 50, 41)), voxel_size=(1, 1, 1))
    root = tmp_path_factory.mktemp(np.dtype(request.param).name)
    paths: dict[str, Path] = {}
    for engine in WRITERS:
        paths[engine] = root / f"{engine}.ome.zarr"
        ds.to_path(paths[engine], engine=engine, levels=3, **LAYOUT)
    return values, paths


@pytest.mark.parametrize("reader", WRITERS)
def test_every_engine_reads_what_every_engine_wrote(
    stores: tuple[np.ndarray[Any, Any], dict[str, Path]], reader: EngineName
) -> None:
    values, paths = stores
    for writer, path in paths.items():
        ds = Dataset.from_path(path, engine=reader)
        block_reader = reader_of(ds.data)
        assert isinstance(block_reader, ZarrBlockReader)
        assert block_reader.location.engine == reader
        np.testing.assert_array_equal(ds.to_numpy(), values, err_msg=f"{writer} -> {reader}")
        for region in REGIONS:
            got = block_reader.read(region)
            np.testing.assert_array_equal(got, values[region], err_msg=f"{region}")
            np.testing.assert_array_equal(ds.data[region].compute(), values[region])


def test_every_engine_writes_the_same_levels(
    stores: tuple[np.ndarray[Any, Any], dict[str, Path]],
) -> None:
    _, paths = stores
    for level in (1, 2):
        expected = Dataset.from_path(paths["tensorstore"], level=level, engine="tensorstore")
        for writer in ("shards", "zarr-python"):
            got = Dataset.from_path(paths[writer], level=level, engine="zarr-python")
            np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy(), err_msg=writer)


def test_the_shards_engines_store_passes_verify_on_every_engine(
    stores: tuple[np.ndarray[Any, Any], dict[str, Path]],
) -> None:
    _, paths = stores
    for engine in WRITERS:
        assert verify(paths["shards"], engine=engine) == []


def test_shards_are_the_same_bytes_as_tensorstores(
    stores: tuple[np.ndarray[Any, Any], dict[str, Path]],
) -> None:
    _, paths = stores
    ours, theirs = paths["shards"], paths["tensorstore"]
    files = sorted(p.relative_to(theirs) for p in theirs.rglob("c/*/*/*") if p.is_file())
    assert files == sorted(p.relative_to(ours) for p in ours.rglob("c/*/*/*") if p.is_file())
    for name in files:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
