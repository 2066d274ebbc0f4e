"""Reading and writing under dask.distributed with process workers (graphs hold no handles)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster

from ctlab_core import Dataset
from ctlab_netcdf import verify

from .helpers import HIRES, hires_values, same_bits


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    connected = Client(cluster)
    try:
        yield connected
    finally:
        connected.close()
        cluster.close()


def test_read_and_write_split_dataset_on_process_workers(client: Client, tmp_path: Path) -> None:
    source = Dataset.from_path(HIRES)
    assert same_bits(source.data.compute(), hires_values())
    split = tmp_path / "tomo_dist_nc"
    source.to_path(split, slices_per_file=25)
    single = tmp_path / "tomo_dist.nc"
    source.to_path(single)
    for target in (split, single):
        read = Dataset.from_path(target)
        assert same_bits(read.data.compute(), hires_values())
        assert read.history == source.history
        verify(target)
    assert Dataset.from_path(split).data.chunks[0] == (25, 25, 25, 25)
    # each worker wrote blocks: the blocks are independent files
    assert sorted(p.name for p in split.iterdir()) == [f"block{i:08d}.nc" for i in range(4)]


def test_delayed_write_runs_on_the_cluster(client: Client, tmp_path: Path) -> None:
    values = np.arange(40 * 30 * 20, dtype=np.float64).reshape(40, 30, 20)
    dataset = Dataset(values, voxel_size=(1.0, 2.0, 3.0), datatype="float64")
    pending = dataset.to_path(tmp_path / "float64_nc", slices_per_file=7, compute=False)
    assert pending is not None
    client.compute(pending).result()
    read = Dataset.from_path(tmp_path / "float64_nc", verify=True)
    assert same_bits(read.data.compute(), values)
    assert read.voxel_size == (1.0, 2.0, 3.0)
