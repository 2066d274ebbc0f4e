"""Datasets the integration tests open: copies of the MANGO fixtures and ctlab's own pyramids."""

from __future__ import annotations

import shutil
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

from ctlab_core import Dataset, DataType

VOXEL = 0.03374303877353668  # every MANGO fixture, mm, all axes


@pytest.fixture(scope="session")
def pyramid(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Path:
    """A 3-level OME-Zarr pyramid written by ctlab from the split NetCDF fixture."""
    source = Dataset.from_path(fixtures / "tomoHiRes_SS_nc")
    return source.to_path(tmp_path_factory.mktemp("pyramid") / "tomoHiRes.ome.zarr", levels=3)


def label_field() -> Dataset:
    """A ``labels`` dataset: the split fixture's four slabs as label ids 1..4, one label 7 blob."""
    values = np.repeat(np.arange(1, 5, dtype="int32"), [30, 30, 30, 10])[:, None, None]
    volume = np.broadcast_to(values, (100, 40, 60)).copy()
    volume[40:60, 10:30, 20:40] = 7
    return Dataset(
        data=da.from_array(volume, chunks=(50, 40, 60)),
        voxel_size=(0.01, 0.02, 0.02),
        voxel_unit="mm",
        datatype=DataType.LABELS,
        dataset_id="20260101_000000_labels_test",
        coordinate_origin_xyz=(5, 0, 10),
    )


@pytest.fixture(scope="session")
def labels_pyramid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The label field as a 2-level OME-Zarr pyramid (mode downsampling)."""
    return label_field().to_path(tmp_path_factory.mktemp("labels") / "labels.ome.zarr", levels=2)


@pytest.fixture
def split_copy(tmp_path: Path, fixtures: Path) -> Path:
    """A writable copy of the split NetCDF fixture."""
    return Path(shutil.copytree(fixtures / "tomoHiRes_SS_nc", tmp_path / "tomoHiRes_SS_nc"))
