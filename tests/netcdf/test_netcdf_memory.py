"""Writes stay within a few pieces per worker: a cluster whose workers hold far less
than one block still writes MANGO's large blocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster

from ctlab_core import Dataset, DataType
from ctlab_netcdf import verify

from .helpers import make_dataset

SHAPE = (384, 512, 1024)  # 384 MiB of uint16
SLICES_PER_FILE = 192  # blocks of 192 MiB: assembling one takes more than a worker may hold
WORKER_MEMORY = "320MiB"  # the nanny ends a worker passing 95 % of this (~304 MiB)


@pytest.fixture(scope="module")
def small_workers() -> Iterator[Client]:
    settings = {
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": 0.95,
        "distributed.scheduler.allowed-failures": 0,
    }
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=WORKER_MEMORY,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _pattern(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
    """A value per voxel from its coordinates, made without large temporaries."""
    assert block_info is not None
    (z0, z1), (y0, y1), (x0, x1) = block_info[None]["array-location"]
    out = np.empty((z1 - z0, y1 - y0, x1 - x0), dtype=np.uint16)
    rows = (np.arange(y0, y1, dtype=np.uint16) * np.uint16(3))[:, None]
    columns = np.arange(x0, x1, dtype=np.uint16)[None, :]
    for z in range(z0, z1):
        np.add(rows, columns, out=out[z - z0])
        out[z - z0] += np.uint16(z * 7)
    return out


def test_blocks_larger_than_a_worker_are_written_in_pieces(
    small_workers: Client, tmp_path: Path
) -> None:
    data = da.map_blocks(_pattern, chunks=((16,) * 24, (SHAPE[1],), (SHAPE[2],)), dtype=np.uint16)
    target = tmp_path / "tomo_big_nc"
    with dask.config.set({"ctlab.task-bytes": "32MiB"}):
        make_dataset(data, DataType.TOMO).to_path(target, slices_per_file=SLICES_PER_FILE)
    assert sorted(p.name for p in target.iterdir()) == ["block00000000.nc", "block00000001.nc"]
    verify(target)  # every block's md5_checksum matches its bytes (checked on the cluster)
    read = Dataset.from_path(target)  # compared in this process, slab by slab
    for start in range(0, SHAPE[0], 64):
        stop = start + 64
        expected = _pattern({None: {"array-location": [(start, stop), (0, 512), (0, 1024)]}})
        np.testing.assert_array_equal(read.data[start:stop].compute(scheduler="threads"), expected)
