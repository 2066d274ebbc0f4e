"""The 1 TB plan in small: ``ctlab convert`` of a MANGO split NetCDF to an OME-Zarr
pyramid on a dask cluster whose workers may hold 1 GiB each.

The source has MANGO's default blocks (240 slices of 1024 x 1024 uint16 = 480 MiB).
A worker passing 95 % of its limit is ended by its nanny and, with no failures
allowed, the conversion fails: so a conversion that passes held less than a
block and a half per worker. (ctlab 0.1 assembled 512^3 shards from whole rows of
blocks and was ended here.)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.phantom import phantom
from distributed import Client

from ctlab_core import Dataset

SHAPE = (512, 1024, 1024)  # 1 GiB of uint16: 240 + 240 + 32 slices in MANGO's blocks


@pytest.fixture(scope="module")
def one_gib_workers(
    memory_limited_cluster: Callable[[str], AbstractContextManager[Client]],
) -> Iterator[Client]:
    with memory_limited_cluster("1GiB") as client:
        yield client


def test_split_netcdf_to_ome_zarr_pyramid_on_1_gib_workers(
    one_gib_workers: Client, tmp_path: Path
) -> None:
    source = tmp_path / "tomo_big_nc"
    phantom(SHAPE, chunks=(64, 1024, 1024)).to_path(source)  # locally, MANGO's block rule
    assert len(list(source.iterdir())) == 3
    workers = set(one_gib_workers.scheduler_info()["workers"])
    target = tmp_path / "big.ome.zarr"
    address = str(one_gib_workers.scheduler_info()["address"])
    command = ["convert", str(source), str(target), "--address", address, "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "ctlab_core.cli", *command],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(one_gib_workers.scheduler_info()["workers"]) == workers  # none was ended
    written = Dataset.from_path(target)
    assert written.shape == SHAPE
    expected = phantom(SHAPE, chunks=(64, 1024, 1024)).data
    for start in (0, 232, 472):  # across the source's block boundaries at 240 and 480
        np.testing.assert_array_equal(
            written.data[start : start + 16].compute(scheduler="threads"),
            expected[start : start + 16].compute(scheduler="threads"),
        )
    level = Dataset.from_path(target, level=3)
    assert level.shape == (64, 128, 128)
    assert level.voxel_size == tuple(8 * v for v in written.voxel_size)
