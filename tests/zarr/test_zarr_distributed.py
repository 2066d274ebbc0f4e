"""Reads and writes under dask.distributed with process workers; graphs hold no open handles."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from distributed import Client

from ctlab_core import Dataset

from ..conftest import process_workers


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with process_workers() as connected:
        yield connected


def _open_files() -> set[str]:
    fds = Path("/proc/self/fd")
    names = set()
    for fd in fds.iterdir():
        try:
            names.add(os.readlink(fd))
        except OSError:  # closed between listing and reading
            continue
    return names


def test_read_graph_pickles_and_holds_no_open_file(mango_dir: Path) -> None:
    before = _open_files()
    ds = Dataset.from_path(mango_dir / "tomoLoRes_SS_AM.zarr")
    after = _open_files()
    assert {f for f in after - before if str(mango_dir) in f} == set()
    restored = pickle.loads(pickle.dumps(ds.data))
    np.testing.assert_array_equal(restored.compute(), np.arange(6000).reshape(10, 20, 30))


def test_write_and_read_with_process_workers(client: Client, tmp_path: Path) -> None:
    values = (np.arange(48 * 40 * 36, dtype=np.int64) % 251).astype(np.uint8).reshape(48, 40, 36)
    data = da.from_array(values, chunks=((7, 30, 11), (40,), (5, 31)))
    ds = Dataset(data, voxel_size=(0.5, 0.5, 2.0), voxel_unit="um", datatype="segmented")
    ds.to_path(tmp_path / "dist.ome.zarr", levels=2, chunks=(4, 4, 4), shards=(8, 8, 12))
    read = Dataset.from_path(tmp_path / "dist.ome.zarr")
    assert read.data.npartitions >= 1
    np.testing.assert_array_equal(read.data.compute(), values)
    level1 = Dataset.from_path(tmp_path / "dist.ome.zarr", level=1)
    assert level1.shape == (24, 20, 18)
    assert set(np.unique(level1.data.compute())) <= set(np.unique(values))
    delayed = ds.to_path(tmp_path / "later.zarr", ome_zarr=False, compute=False)
    assert delayed is not None
    client.compute(delayed).result()
    np.testing.assert_array_equal(Dataset.from_path(tmp_path / "later.zarr").data.compute(), values)


def test_a_pyramid_streams_through_workers_with_little_memory(
    memory_limited_cluster: Callable[[str], AbstractContextManager[Client]], tmp_path: Path
) -> None:
    """Two process workers of 600 MiB each write a 512 MiB volume and its pyramid.

    A task holds one 64 MiB source block (plus the phantom's temporaries) and the
    levels made from it; a worker above its limit would be restarted by its nanny (a new
    worker address) or the write would fail with KilledWorker.
    """
    from ctlab_core.phantom import phantom

    ds = phantom((256, 1024, 1024), chunks=(32, 1024, 1024))
    path = tmp_path / "big.ome.zarr"
    with memory_limited_cluster("600MiB") as connected:
        before = set(connected.scheduler_info()["workers"])
        ds.to_path(path)
        after = set(connected.scheduler_info()["workers"])
    assert len(before) == 2 and after == before  # no worker was restarted
    levels = Dataset.from_path(path)
    assert levels.shape == (256, 1024, 1024)
    np.testing.assert_array_equal(
        Dataset.from_path(path, level=2).data[:4].compute(),
        Dataset.from_path(path, level=2).to_numpy()[:4],
    )
    np.testing.assert_array_equal(levels.data[100:104].compute(), ds.data[100:104].compute())
