"""OME-Zarr images of other tools (5-D, bioformats2raw) converted to MANGO NetCDF: the
singleton time and channel axes are left out with a note; longer ones are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ctlab_core.errors import DroppedAxesWarning

from ctlab_core import Dataset, InvalidDatasetError, VoxelUnit

from ..conftest import ctlab, write_bioformats2raw, write_ome_image

VALUES = (np.arange(8 * 10 * 12) % 3000).astype(np.uint16).reshape(1, 1, 8, 10, 12)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_5d_image_converts_to_a_netcdf_volume(tmp_path: Path, version: str) -> None:
    image = write_ome_image(tmp_path / "cells.ome.zarr", version, VALUES)
    with pytest.warns(DroppedAxesWarning, match=r"axes t, c of size 1 left out"):
        written = Dataset.from_path(image).to_path(tmp_path / "cells_nc")
    volume = Dataset.from_path(written)
    assert volume.shape == (8, 10, 12) and volume.dimension_names == ("z", "y", "x")
    assert volume.voxel_size == (0.5, 0.25, 0.25) and volume.voxel_unit is VoxelUnit.UM
    np.testing.assert_array_equal(volume.to_numpy(), VALUES[0, 0])


def test_the_cli_converts_a_bioformats2raw_series_with_a_note(tmp_path: Path) -> None:
    second = (VALUES[..., :6] + 7).astype(np.uint16)
    store = write_bioformats2raw(tmp_path / "b2r.ome.zarr", "0.4", [VALUES, second], ["0", "1"])
    done = ctlab("convert", store, tmp_path / "second.nc", "--series", "1")
    assert "axes t, c of size 1 left out" in done.stderr
    converted = Dataset.from_path(tmp_path / "second.nc").to_numpy()
    np.testing.assert_array_equal(converted, second[0, 0])


def test_a_time_series_is_refused_naming_the_selection(tmp_path: Path) -> None:
    frames = np.stack([VALUES[0]] * 3)
    image = Dataset.from_path(write_ome_image(tmp_path / "t.ome.zarr", "0.5", frames))
    with pytest.raises(InvalidDatasetError, match=r"ds\.evolve\(data=ds\.data\[0:1\]\)"):
        image.to_path(tmp_path / "t.nc")
    failed = ctlab("convert", tmp_path / "t.ome.zarr", tmp_path / "t.nc", check=False)
    assert failed.returncode == 1 and "t (3), c (1), z (8), y (10), x (12)" in failed.stderr
    with pytest.warns(DroppedAxesWarning):
        one = image.evolve(data=image.data[2:3]).to_path(tmp_path / "t2.nc")
    np.testing.assert_array_equal(Dataset.from_path(one).to_numpy(), frames[2, 0])
