"""A dataset a codec read holds a RegionArray: shape, dtype and blocks without dask, the
dask array made on first access of ``data``; everything else behaves as with a dask array."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from ctlab_core.regions import RegionArray, reader_of, rechunked

from ctlab_core import Dataset

VALUES = np.arange(40 * 6 * 5, dtype=np.uint16).reshape(40, 6, 5)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    path = tmp_path / "tomo_small.raw"
    Dataset(VALUES, voxel_size=(3, 2, 1), voxel_unit="mm", datatype="tomo").to_path(path)
    return path


def test_reading_builds_no_dask_array_until_data_is_asked_for(raw: Path) -> None:
    code = (
        "import sys\n"
        "from ctlab_core import Dataset\n"
        f"ds = Dataset.from_path({str(raw)!r})\n"
        "print(ds.shape, ds.dtype, ds.chunks, ds.nbytes, repr(ds))\n"
        "print('dask.array' in sys.modules)\n"
        "data = ds.data\n"
        "print(type(data).__module__, data.chunks == ds.chunks, ds.data is data)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert out[0].startswith("(40, 6, 5) uint16 ((40,), (6,), (5,)) 2400 Dataset(shape=")
    assert out[1] == "False"
    assert out[2] == "dask.array.core True True"


def test_the_dask_array_is_the_codecs_array(raw: Path) -> None:
    ds = Dataset.from_path(raw)
    assert isinstance(ds.data, da.Array)
    assert ds.data.name.startswith("ctlab-read-")
    assert reader_of(ds.data) is not None
    np.testing.assert_array_equal(ds.to_numpy(), VALUES)
    np.testing.assert_array_equal(ds.data[3:7].compute(), VALUES[3:7])
    again = Dataset.from_path(raw)
    assert again.data.name == ds.data.name  # equal reads, equal names
    parts = rechunked(ds.data, (8, 6, 5))
    assert parts.chunks == ((8,) * 5, (6,), (5,)) and reader_of(parts) is not None
    np.testing.assert_array_equal(parts.compute(), VALUES)


def test_transforms_share_the_array_and_pickling_keeps_it(raw: Path) -> None:
    ds = Dataset.from_path(raw)
    moved = ds.with_voxel_unit("um").evolve(dataset_id="x")
    assert moved.data is ds.data
    back = pickle.loads(pickle.dumps(ds))
    assert back.data.name == ds.data.name and back.chunks == ds.chunks
    assert reader_of(back.data) is not None
    np.testing.assert_array_equal(back.to_numpy(), VALUES)
    cropped = ds.evolve(data=ds.data[:10])
    assert cropped.shape == (10, 6, 5) and reader_of(cropped.data) is None


def test_arrays_given_by_users_are_kept_as_they_are() -> None:
    given = da.from_array(VALUES, chunks=(7, 6, 5))
    ds = Dataset(given, voxel_size=(1, 1, 1))
    assert ds.data is given and ds.chunks == given.chunks and ds.nbytes == given.nbytes
    from_numpy = Dataset(VALUES, voxel_size=(1, 1, 1))
    assert isinstance(from_numpy.data, da.Array)
    np.testing.assert_array_equal(from_numpy.to_numpy(), VALUES)


def test_a_region_array_pickles_as_its_reader_and_blocks(raw: Path) -> None:
    region = Dataset.from_path(raw)._data.source
    assert isinstance(region, RegionArray)
    clone = pickle.loads(pickle.dumps(region))
    assert (clone.shape, clone.dtype, clone.chunks) == (region.shape, region.dtype, region.chunks)
    assert clone.to_dask().name == region.to_dask().name
    from dask.base import tokenize

    assert tokenize(clone) == tokenize(region)
