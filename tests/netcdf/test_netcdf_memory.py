"""Writes stay within a few pieces per worker: a cluster whose workers hold far less
than one block still writes MANGO's large blocks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client

from ctlab_core import Dataset, DataType
from ctlab_netcdf import verify

from .helpers import make_dataset

SHAPE = (384, 512, 1024)  # 384 MiB of uint16
SLICES_PER_FILE = 192  # blocks of 192 MiB: assembling one takes more than a worker may hold
WORKER_MEMORY = "320MiB"  # the nanny ends a worker passing 95 % of this (~304 MiB)


@pytest.fixture(scope="module")
def small_workers(
    memory_limited_cluster: Callable[[str], AbstractContextManager[Client]],
) -> Iterator[Client]:
    with memory_limited_cluster(WORKER_MEMORY) as client:
        yield client


def _pattern(module: Any, zs: tuple[int, int]) -> Any:
    """A value per voxel from its coordinates (uint16 arithmetic, wrapping), built with
    ``module`` (numpy, or dask.array with 16-slice chunks). Only numpy and dask
    functions go to the workers: they cannot import this test module."""
    options = {"chunks": 16} if module is da else {}
    z = module.arange(zs[0], zs[1], dtype=np.uint16, **options)[:, None, None]
    y = module.arange(SHAPE[1], dtype=np.uint16)[None, :, None]
    x = module.arange(SHAPE[2], dtype=np.uint16)[None, None, :]
    return z * np.uint16(7) + y * np.uint16(3) + x


def test_blocks_larger_than_a_worker_are_written_in_pieces(
    small_workers: Client, tmp_path: Path
) -> None:
    data = _pattern(da, (0, SHAPE[0]))
    assert data.chunks == ((16,) * 24, (SHAPE[1],), (SHAPE[2],)) and data.dtype == np.uint16
    target = tmp_path / "tomo_big_nc"
    with dask.config.set({"ctlab.task-bytes": "32MiB"}):
        make_dataset(data, DataType.TOMO).to_path(target, slices_per_file=SLICES_PER_FILE)
    assert sorted(p.name for p in target.iterdir()) == ["block00000000.nc", "block00000001.nc"]
    verify(target)  # every block's md5_checksum matches its bytes (checked on the cluster)
    read = Dataset.from_path(target)  # compared in this process, slab by slab
    for start in range(0, SHAPE[0], 64):
        stop = start + 64
        expected = _pattern(np, (start, stop))
        np.testing.assert_array_equal(read.data[start:stop].compute(scheduler="threads"), expected)
